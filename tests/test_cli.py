import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.generate import render
from mlscaffold.gitutil import git

from .conftest import make_template


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_help_version_and_list() -> None:
    assert "new" in run("--help").output
    assert run("--version").output.strip().startswith("mlscaffold, version ")
    listed = run("list").output
    for name in ("image_classifier", "recommender", "mlops"):
        assert name in listed


def test_list_json_gives_name_version_description() -> None:
    import json

    rows = json.loads(run("list", "--json").output)
    names = {row["name"] for row in rows}
    assert {"image_classifier", "recommender", "mlops"} <= names
    assert all(row["version"] and row["description"] for row in rows)


def test_new_with_defaults_makes_a_committed_git_project(tmp_path: Path) -> None:
    dest = tmp_path / "My Recs"
    result = run("new", "recommender", str(dest), "--defaults")
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["project_name"] == "My-Recs" and answers["package_name"] == "my_recs"
    assert answers["_src_path"] == "~/.local/share/mlscaffold/templates/recommender.bundle"
    listed = {row["name"]: row["version"] for row in json.loads(run("list", "--json").output)}
    assert answers["_commit"] == listed["recommender"]
    assert git("rev-list", "--count", "HEAD", cwd=dest) == "1"
    assert git("status", "--porcelain", cwd=dest) == ""
    assert "Next steps" in result.output and "python -m my_recs train" in result.output
    assert (Path.home() / ".local/share/mlscaffold/templates/recommender.bundle").is_file()


def test_answers_from_data_file_and_data(tmp_path: Path) -> None:
    answers_file = tmp_path / "answers.yml"
    answers_file.write_text("author_name: Ada\nlicense: Apache-2.0\npackage_name: from_file\n")
    dest = tmp_path / "proj"
    result = run(
        "new",
        "mlops",
        str(dest),
        "--data-file",
        str(answers_file),
        "-d",
        "package_name=x_pkg",
        "--defaults",
    )
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert (answers["author_name"], answers["license"]) == ("Ada", "Apache-2.0")
    assert answers["package_name"] == "x_pkg"  # --data wins over --data-file
    assert "Apache License" in (dest / "LICENSE").read_text()


def test_an_answer_to_a_question_not_asked_is_named(tmp_path: Path) -> None:
    dest = tmp_path / "proj"
    result = run("new", "mlops", str(dest), "--defaults", "--no-lock", "-d", "ab_test=true")
    assert result.exit_code == 0, result.output
    assert "the answer ab_test is not used: it is asked only when" in result.output
    assert "retrain_loop and prometheus" in result.output
    assert "ab_test" not in yaml.safe_load((dest / ".copier-answers.yml").read_text())


def test_config_defaults_are_used(tmp_path: Path) -> None:
    assert run("config", "set", "defaults.author_name", "Grace H").exit_code == 0
    assert run("config", "set", "defaults.license", "BSD-3-Clause").exit_code == 0
    assert "author_name: Grace H" in run("config").output
    dest = tmp_path / "p"
    assert run("new", "recommender", str(dest), "--defaults").exit_code == 0
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["author_name"] == "Grace H" and answers["license"] == "BSD-3-Clause"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "nope", "x"], "unknown template 'nope'"),
        (["new", "recommender", "x", "--data", "oops"], "malformed --data 'oops'"),
        (["new", "recommender", "x", "--data-file", "missing.yml"], "cannot read answers file"),
        (["config", "set", "defaults.colour", "red"], "not a default you can set"),
        (["config", "set", "defaults.author_email", "nope"], "e-mail"),
    ],
)
def test_bad_input_is_one_line_error(args: list[str], message: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)  # no traceback
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0]


def test_invalid_answers_are_all_listed_and_nothing_is_written(tmp_path: Path) -> None:
    dest = tmp_path / "proj"
    result = run(
        "new",
        "recommender",
        str(dest),
        "--defaults",
        "-d",
        "package_name=torch",
        "-d",
        "author_email=nope",
        "-d",
        "license=WTFPL",
    )
    assert result.exit_code == 1
    for name in ("package_name", "author_email", "license"):
        assert name in result.output
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_existing_non_empty_destination_is_refused(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    result = run("new", "recommender", str(tmp_path), "--defaults")
    assert result.exit_code == 1 and "not empty" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_interactive_prompts_reask_invalid_answers(tmp_path: Path) -> None:
    dest = tmp_path / "asked"
    # project_name (default), package_name: first 'json' (rejected) then ok, then defaults.
    keys = ["", "json", "asked_pkg"] + [""] * 20  # every later question takes its default
    result = run("new", "recommender", str(dest), input="\n".join(keys) + "\n")
    assert result.exit_code == 0, result.output
    assert "standard library" in result.output
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["package_name"] == "asked_pkg"


def test_interrupt_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(src, dest, *args, **kwargs):
        (Path(dest) / "half-written.txt").write_text("x")
        raise KeyboardInterrupt

    monkeypatch.setattr(render, "copier_render", interrupted)
    result = CliRunner().invoke(cli, ["new", "recommender", str(tmp_path / "p"), "--defaults"])
    assert result.exit_code == 1 and "nothing was written" in result.output
    assert list(tmp_path.iterdir()) == []


def test_local_template_folder_without_tasks(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "tpl",
        {
            "{{ module }}.py.jinja": "NAME = '{{ module }}'\n",
            "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        },
        "module:\n  type: str\n  default: thing\n",
        tag="1.0.0",
    )
    result = run("new", str(template), str(tmp_path / "out"), "--defaults", "-d", "module=../x")
    assert result.exit_code == 1 and "module" in result.output
    result = run("new", str(template), str(tmp_path / "out"), "--defaults")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "thing.py").read_text() == "NAME = 'thing'\n"
    answers = yaml.safe_load((tmp_path / "out" / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "1.0.0" and answers["_src_path"] == str(template)


def test_outside_templates_need_trust_for_tasks(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "tpl",
        {"a.txt": "a\n"},
        "_tasks:\n  - touch task-ran\nx:\n  type: str\n  default: y\n",
        tag="1.0.0",
    )
    result = run("new", str(template), str(tmp_path / "out"), "--defaults")
    assert result.exit_code == 1 and "unsafe" in result.output.lower()
    assert not (tmp_path / "out").exists()
    result = run("new", str(template), str(tmp_path / "out"), "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "task-ran").exists()


def test_git_url_template_is_cloned_and_recorded(tmp_path: Path) -> None:
    template = make_template(
        tmp_path / "tpl",
        {
            "README.md.jinja": "# {{ title }}\n",
            "{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        },
        "title:\n  type: str\n  default: Hello\n",
        tag="2.0.0",
    )
    bare = tmp_path / "remote" / "tpl.git"
    git("clone", "--quiet", "--bare", str(template), str(bare))
    dest = tmp_path / "out"
    result = run("new", f"file://{bare}", str(dest), "--defaults", "-d", "title=Hi")
    assert result.exit_code == 0, result.output
    assert (dest / "README.md").read_text() == "# Hi\n"
    answers = yaml.safe_load((dest / ".copier-answers.yml").read_text())
    assert answers["_src_path"] == str(bare) and answers["_commit"] == "2.0.0"


def test_template_without_history_warns_that_update_cannot_work(tmp_path: Path) -> None:
    template = make_template(tmp_path / "tpl", {"a.txt": "a\n"}, "x:\n  default: 1\n")
    result = run("new", str(template), str(tmp_path / "out"), "--defaults")
    assert result.exit_code == 0 and "cannot update this project" in result.output


def test_a_folder_that_is_no_template_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["new", str(tmp_path), str(tmp_path / "out")])
    assert result.exit_code == 1 and "not a copier template" in result.output

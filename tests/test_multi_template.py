"""A project with two templates applied, each with its own answers file, each updated."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import git

from .updatekit import cli_run, commit, isolate, lines, release, write

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
CI = ".copier-answers.ci.yml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project from template ``app``, with template ``ci`` added; both then release 0.2.0."""
    isolate(tmp_path / "home", monkeypatch)
    app = release(tmp_path / "app", "0.1.0", {"main.txt": lines("main")}, QUESTIONS)
    ci = release(tmp_path / "ci", "0.1.0", {"ci/checks.yml": lines("check")}, QUESTIONS)
    project = tmp_path / "project"
    assert cli_run("new", app, project, "--defaults").exit_code == 0
    write(project, {"mine.txt": "my work in progress\n"})  # not committed: never committed by new
    result = cli_run("new", ci, project, "--defaults", "--answers-file", CI)
    assert result.exit_code == 0, result.output
    assert "Added" in result.output
    write(project, {"mine.txt": None})
    release(
        app, "0.2.0", {"main.txt": lines("main").replace("main 3\n", "APP main 3\n")}, QUESTIONS
    )
    release(ci, "0.2.0", {"ci/checks.yml": lines("check") + "CI new check\n"}, QUESTIONS)
    return project


def recorded(project: Path, name: str) -> dict:
    return yaml.safe_load((project / name).read_text("utf-8"))


def test_new_adds_only_the_templates_files_and_commits_only_them(project: Path) -> None:
    last = git("show", "--name-only", "--format=%s", "HEAD", cwd=project).splitlines()
    assert last[0].startswith("Add mlscaffold template") and last[0].endswith("0.1.0")
    assert sorted(filter(None, last[1:])) == [CI, "ci/checks.yml"]
    assert recorded(project, CI)["_src_path"].endswith("ci")
    assert recorded(project, ".copier-answers.yml")["_src_path"].endswith("app")


def test_new_refuses_to_overwrite_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    clash = release(tmp_path / "clash", "0.1.0", {"main.txt": "x\n", "b.txt": "b\n"}, QUESTIONS)
    head = git("rev-parse", "HEAD", cwd=project)
    result = cli_run("new", clash, project, "--defaults", "--answers-file", ".copier-answers.x.yml")
    assert result.exit_code == 1
    assert "would overwrite files" in result.output and "main.txt" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (project / "b.txt").exists() and not (project / ".copier-answers.x.yml").exists()
    assert git("rev-parse", "HEAD", cwd=project) == head
    # an answers file in use is refused too, and without --answers-file a project is no DEST
    assert "exists" in cli_run("new", clash, project, "--defaults", "--answers-file", CI).output
    assert "not empty" in cli_run("new", clash, project, "--defaults").output


def test_new_takes_rendered_names_literally(project: Path, tmp_path: Path) -> None:
    """A rendered file named like a glob must not pull the user's files into the commit."""
    globby = release(tmp_path / "globby", "0.1.0", {"m*": "star\n"}, QUESTIONS)
    write(project, {"main.txt": "my uncommitted edit\n", "mine.txt": "untracked\n"})
    name = ".copier-answers.globby.yml"
    result = cli_run("new", globby, project, "--defaults", "--answers-file", name)
    assert result.exit_code == 0, result.output
    last = git("show", "--name-only", "--format=", "HEAD", cwd=project).split()
    assert sorted(last) == [name, "m*"]
    status = git("status", "--porcelain", cwd=project).splitlines()  # git() strips the output
    assert sorted(line.strip() for line in status) == ["?? mine.txt", "M main.txt"]


def test_check_and_diff_each_template_and_all(project: Path) -> None:
    rows = json.loads(cli_run("check", project, "--json").stdout)
    assert [(r["answers_file"], r["state"]) for r in rows] == [
        (".copier-answers.yml", "behind"),
        (CI, "behind"),
    ]
    one = cli_run("check", project, "--answers-file", CI, "--json")
    assert one.exit_code == 1 and json.loads(one.stdout)["template"].endswith("ci")

    upstream = cli_run("diff", project, "--upstream").stdout
    assert "# .copier-answers.yml" in upstream and f"# {CI}" in upstream
    assert "+APP main 3" in upstream and "+CI new check" in upstream
    only_ci = cli_run("diff", project, "--upstream", "--answers-file", CI).stdout
    assert "+CI new check" in only_ci and "APP main 3" not in only_ci

    write(project, {"main.txt": "mine\n", "ci/checks.yml": "mine too\n", "own.txt": "own\n"})
    commit(project)
    app_diff = cli_run("diff", project, "--answers-file", ".copier-answers.yml").stdout
    ci_diff = cli_run("diff", project, "--answers-file", CI).stdout
    assert "+mine\n" in app_diff and "+own" in app_diff
    assert "ci/checks.yml" not in app_diff and CI not in app_diff  # the other template's
    assert "+mine too" in ci_diff and "+own" in ci_diff
    assert "main.txt" not in ci_diff and "a/.copier-answers.yml" not in ci_diff


def test_update_all_templates_of_a_project(project: Path) -> None:
    write(project, {"main.txt": lines("main").replace("main 9\n", "USER main 9\n")})
    commit(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "2 handled: 2 updated" in result.stdout
    text = (project / "main.txt").read_text("utf-8")
    assert "APP main 3" in text and "USER main 9" in text
    assert (project / "ci/checks.yml").read_text("utf-8").endswith("CI new check\n")
    assert recorded(project, ".copier-answers.yml")["_commit"] == "0.2.0"
    assert recorded(project, CI)["_commit"] == "0.2.0"
    assert git("status", "--porcelain", cwd=project).splitlines() == [
        f"M  {CI}",
        "M  .copier-answers.yml",
        "M  ci/checks.yml",
        "M  main.txt",
    ]
    commit(project, "update both")
    assert cli_run("check", project).exit_code == 0


def test_update_one_template(project: Path) -> None:
    result = cli_run("update", project, "--defaults", "--answers-file", CI)
    assert result.exit_code == 0, result.output
    assert recorded(project, CI)["_commit"] == "0.2.0"
    assert recorded(project, ".copier-answers.yml")["_commit"] == "0.1.0"
    assert "APP main 3" not in (project / "main.txt").read_text("utf-8")


def test_a_failing_second_template_puts_back_the_first_ones_update(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlscaffold.update import merge

    apply, calls = merge.apply, []

    def apply_then_fail_the_second(repo: Path, old: str, new: str) -> merge.MergeResult:
        calls.append(repo)
        result = apply(repo, old, new)
        if len(calls) == 2:
            raise RuntimeError("simulated failure")
        return result

    monkeypatch.setattr(merge, "apply", apply_then_fail_the_second)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1
    assert "failed, restored: simulated failure" in result.stdout
    # the first template's update is there, staged, and nothing of the second one is
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project).splitlines() == [
        "M  .copier-answers.yml",
        "M  main.txt",
    ]
    assert recorded(project, CI)["_commit"] == "0.1.0"
    assert "CI new check" not in (project / "ci/checks.yml").read_text("utf-8")

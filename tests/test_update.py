"""``mlscaffold update`` on a custom git template: template v1 -> project -> user edits -> v2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import git

from .updatekit import (
    FLAVOUR,
    answers,
    check_scenario,
    cli_run,
    commit,
    isolate,
    lines,
    release,
    scenario_v1,
    scenario_v2,
    unmerged,
    user_edits,
    write,
)

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project generated from v1 of a custom git template, edited by its user; v2 released."""
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", scenario_v1(), QUESTIONS)
    result = cli_run("new", template, tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    project = tmp_path / "project"
    user_edits(project)
    release(template, "0.2.0", scenario_v2(), {**QUESTIONS, **FLAVOUR})
    return project


def test_update_merges_template_changes_and_keeps_user_edits(project: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=project)
    result = cli_run("update", project, "--defaults")
    check_scenario(project, result, head)
    assert answers(project)["_commit"] == "0.2.0"


def test_update_answers_new_questions_and_changed_answers(project: Path) -> None:
    result = cli_run("update", project, "--data", "flavour=mint")
    assert result.exit_code == 1  # the conflict in conflict.txt
    assert (project / "flavour.txt").read_text("utf-8") == "flavour = mint\n"
    write(project, {"conflict.txt": lines("conflict")})
    commit(project, "update")

    result = cli_run("update", project, "--data", "flavour=vanilla")
    assert result.exit_code == 0, result.output
    assert (project / "flavour.txt").read_text("utf-8") == "flavour = vanilla\n"
    assert answers(project)["flavour"] == "vanilla"
    assert git("status", "--porcelain", cwd=project) == "M  .copier-answers.yml\nM  flavour.txt"


def test_update_names_an_answer_to_a_question_not_asked(project: Path, tmp_path: Path) -> None:
    sprinkles = {"sprinkles": {"type": "bool", "default": False, "when": "{{ flavour == 'mint' }}"}}
    release(tmp_path / "template", "0.3.0", {}, {**QUESTIONS, **FLAVOUR, **sprinkles})
    result = cli_run("update", project, "--defaults", "--data", "sprinkles=true")
    assert "the answer sprinkles is not used: it is asked only when" in result.output
    assert "sprinkles" not in answers(project)


def test_update_prompts_for_new_questions(project: Path) -> None:
    from click.testing import CliRunner

    from mlscaffold.cli import cli

    result = CliRunner().invoke(cli, ["update", str(project)], input="mint\n")
    assert result.exit_code == 1, result.output
    assert answers(project)["flavour"] == "mint"


def test_update_rejects_an_invalid_answer(project: Path) -> None:
    result = cli_run("update", project, "--defaults", "--data", "flavour=chocolate")
    assert result.exit_code != 0
    assert "flavour" in result.output and "Traceback" not in result.output
    assert git("status", "--porcelain", cwd=project) == ""


def test_dry_run_changes_nothing(project: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=project)
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "added.txt" in result.output and "conflict.txt" in result.output
    assert git("status", "--porcelain", "--untracked-files=all", cwd=project) == ""
    assert git("rev-parse", "HEAD", cwd=project) == head
    assert answers(project)["_commit"] == "0.1.0"


def test_update_to_a_version(project: Path, tmp_path: Path) -> None:
    release(tmp_path / "template", "0.3.0", {"later.txt": "later\n"}, QUESTIONS)
    assert cli_run("update", project, "--defaults", "--to", "0.2.0").exit_code == 1
    assert answers(project)["_commit"] == "0.2.0"
    assert not (project / "later.txt").exists()


def test_update_to_an_unknown_version(project: Path) -> None:
    result = cli_run("update", project, "--to", "9.9.9")
    assert result.exit_code == 1
    assert "no version '9.9.9'" in result.output and "0.2.0" in result.output


def test_refuses_a_dirty_tree_and_lists_the_files(project: Path) -> None:
    write(project, {"config.txt": "changed\n", "new.txt": "untracked\n"})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1
    assert "uncommitted changes (config.txt, new.txt)" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (project / "config.txt").read_text("utf-8") == "changed\n"


@pytest.mark.parametrize("content", [None, "_commit: [unclosed\n", "just text\n"])
def test_refuses_a_missing_or_broken_answers_file(project: Path, content: str | None) -> None:
    write(project, {".copier-answers.yml": content})
    commit(project, "break the answers file")
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1
    assert ".copier-answers.yml" in result.output and "git checkout" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_refuses_a_folder_that_is_no_repository(tmp_path: Path, monkeypatch) -> None:
    isolate(tmp_path / "home", monkeypatch)
    (tmp_path / "plain").mkdir()
    result = cli_run("update", tmp_path / "plain")
    assert result.exit_code == 1 and "not a git repository" in result.output


def test_already_up_to_date(project: Path) -> None:
    cli_run("update", project, "--defaults")
    write(project, {"conflict.txt": lines("conflict")})
    commit(project, "update")
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0 and "up to date" in result.output


def test_update_from_a_fresh_clone(project: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git("clone", "--quiet", str(project), str(clone))
    result = cli_run("update", clone, "--defaults")
    assert result.exit_code == 1, result.output
    assert (clone / "added.txt").is_file() and answers(clone)["_commit"] == "0.2.0"
    assert unmerged(clone) == {"conflict.txt": {1, 2, 3}}


def test_outside_template_runs_no_tasks_without_trust(project: Path, tmp_path: Path) -> None:
    tasks = {"_tasks": ["touch task-ran"]}
    release(tmp_path / "template", "0.3.0", {}, {**QUESTIONS, **FLAVOUR, **tasks})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1 and "conflict.txt" in result.stderr  # the usual conflict
    assert "Skipped the template's 1 tasks" in result.output and "--trust" in result.output
    assert not list(tmp_path.rglob("task-ran"))  # not in the project, nor anywhere else
    git("reset", "--quiet", "--hard", cwd=project)

    result = cli_run("update", project, "--defaults", "--trust")
    assert result.exit_code == 1 and "conflict.txt" in result.stderr
    assert (project / "task-ran").is_file()  # run in the project, after the merge
    assert [p.parent for p in tmp_path.rglob("task-ran")] == [project]


def test_refuses_a_project_from_a_template_without_history(tmp_path: Path, monkeypatch) -> None:
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", {"a.txt": "a\n"}, QUESTIONS)
    shutil.rmtree(template / ".git")
    assert cli_run("new", template, tmp_path / "project", "--defaults").exit_code == 0
    result = cli_run("update", tmp_path / "project")
    assert result.exit_code == 1 and "records no template version" in result.output


def test_refuses_to_go_back(project: Path) -> None:
    recorded = {**answers(project), "_commit": "0.2.0"}
    write(project, {".copier-answers.yml": yaml.safe_dump(recorded)})
    commit(project, "pretend to be on 0.2.0")
    result = cli_run("update", project, "--to", "0.1.0")
    assert result.exit_code == 1 and "older than the project's version 0.2.0" in result.output


def test_update_from_a_git_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", {"a.txt": lines("a")}, QUESTIONS)
    url = str(tmp_path / "template.git")  # a bare repository: fetched like a remote URL
    git("clone", "--quiet", "--bare", str(template), url)
    assert cli_run("new", url, tmp_path / "project", "--defaults").exit_code == 0
    assert answers(tmp_path / "project")["_src_path"] == url
    release(template, "0.2.0", {"a.txt": lines("a").replace("a 2\n", "TEMPLATE a 2\n")}, QUESTIONS)
    git("push", "--quiet", "--tags", url, "main", cwd=template)
    result = cli_run("update", tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    assert "TEMPLATE a 2" in (tmp_path / "project" / "a.txt").read_text("utf-8")

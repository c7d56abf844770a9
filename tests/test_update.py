"""``mlscaffold update`` on a custom git template: template v1 -> project -> user edits -> v2."""

from __future__ import annotations

from pathlib import Path

import pytest
from updatekit import (
    answers,
    assert_no_leftovers,
    cli_run,
    commit,
    isolate,
    lines,
    release,
    unmerged,
    write,
)

from mlscaffold.gitutil import git

V1 = {
    "README.md.jinja": "# {{ project_name }}\n\n" + lines("readme"),
    "config.txt": lines("config"),
    "conflict.txt": lines("conflict"),
    "model.py": lines("model"),
    "obsolete.txt": lines("obsolete"),
    "obsolete_edited.txt": lines("obsolete edited"),
    "deleted_by_user.txt": lines("deleted by user"),
}
QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}


def _v2(template: Path) -> None:
    """Template changes, additions, removals and a new question."""
    v2 = {
        "config.txt": lines("config").replace("config 8\n", "TEMPLATE config 8\n"),
        "conflict.txt": lines("conflict").replace("conflict 5\n", "TEMPLATE conflict 5\n"),
        "model.py": lines("model").replace("model 9\n", "TEMPLATE model 9\n"),
        "deleted_by_user.txt": lines("deleted by user") + "TEMPLATE addition\n",
        "obsolete.txt": None,
        "obsolete_edited.txt": None,
        "added.txt": "added by the template\n",
        "flavour.txt.jinja": "flavour = {{ flavour }}\n",
    }
    flavour = {"flavour": {"type": "str", "default": "vanilla", "choices": ["vanilla", "mint"]}}
    release(template, "0.2.0", v2, {**QUESTIONS, **flavour})


def _user_edits(project: Path) -> None:
    """Change, add, delete and rename files, and commit."""
    write(
        project,
        {
            "config.txt": lines("config").replace("config 2\n", "USER config 2\n"),
            "conflict.txt": lines("conflict").replace("conflict 5\n", "USER conflict 5\n"),
            "obsolete_edited.txt": lines("obsolete edited") + "USER keeps this\n",
            "user_added.txt": "my own file\n",
            "deleted_by_user.txt": None,
        },
    )
    git("mv", "model.py", "network.py", cwd=project)
    write(project, {"network.py": lines("model").replace("model 1\n", "USER model 1\n")})
    commit(project)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project generated from v1 of a custom git template, edited by its user; v2 released."""
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", V1, QUESTIONS)
    result = cli_run("new", template, tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    project = tmp_path / "project"
    _user_edits(project)
    _v2(template)
    return project


def test_update_merges_template_changes_and_keeps_user_edits(project: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=project)
    result = cli_run("update", project, "--defaults")

    assert result.exit_code == 1, result.output
    assert "conflict.txt" in result.stderr
    read = lambda name: (project / name).read_text("utf-8")  # noqa: E731
    # both sides of a file changed in different places
    assert "USER config 2" in read("config.txt") and "TEMPLATE config 8" in read("config.txt")
    # the user's own file is untouched
    assert read("user_added.txt") == "my own file\n"
    # a file the user deleted stays deleted, although the template changed it
    assert not (project / "deleted_by_user.txt").exists()
    assert "deleted_by_user.txt" not in git("ls-files", cwd=project)
    # a renamed file gets the template's change under its new name
    assert not (project / "model.py").exists()
    assert "USER model 1" in read("network.py") and "TEMPLATE model 9" in read("network.py")
    # removed by the template: gone when untouched, kept when the user changed it
    assert not (project / "obsolete.txt").exists()
    assert read("obsolete_edited.txt").endswith("USER keeps this\n")
    # additions, and the new question answered with its default
    assert read("added.txt") == "added by the template\n"
    assert read("flavour.txt") == "flavour = vanilla\n"
    recorded = answers(project)
    assert recorded["_commit"] == "0.2.0" and recorded["flavour"] == "vanilla"
    # the collision is an ordinary git conflict: markers and unmerged index entries
    text = read("conflict.txt")
    assert "<<<<<<<" in text and "USER conflict 5" in text and "TEMPLATE conflict 5" in text
    assert unmerged(project) == {"conflict.txt": {1, 2, 3}}
    assert "both modified:   conflict.txt" in git("status", cwd=project)
    # nothing committed, nothing left behind
    assert git("rev-parse", "HEAD", cwd=project) == head
    assert_no_leftovers(project)


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

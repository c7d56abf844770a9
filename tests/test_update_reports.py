"""An update never stages a file the project ignores, and its report says what happened: no
git-internal names (``config.yml~HEAD``), no wrong reasons, binary conflicts named as binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.gitutil import git

from .test_update_safety import SECRET
from .trustkit import QUESTIONS
from .updatekit import cli_run, commit, isolate, release, write


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    files = {"a.txt": "a\n", "config.yml": "x: 1\n", "data": "template data\n"}
    return release(tmp_path / "template", "0.1.0", files, QUESTIONS)


def generate(template: Path, project: Path) -> Path:
    result = cli_run("new", template, project, "--defaults")
    assert result.exit_code == 0, result.output
    return project


@pytest.mark.parametrize("every", [False, True], ids=["one", "--all"])
def test_a_new_file_the_project_ignores_is_written_but_never_staged(
    template: Path, tmp_path: Path, every: bool
) -> None:
    project = generate(template, tmp_path / "fleet" / "project")
    write(project, {".gitignore": ".env\nsecrets/\n"})
    commit(project, "ignore .env")
    release(template, "0.2.0", {".env": "API_KEY=change-me\n", "secrets/k.txt": "k\n"}, QUESTIONS)
    where = ("--all", project.parent) if every else (project,)
    result = cli_run("update", *where, "--defaults")
    assert result.exit_code == 0, result.output
    assert (project / ".env").read_text("utf-8") == "API_KEY=change-me\n"  # written
    staged = git("diff", "--cached", "--name-only", cwd=project).split()
    assert ".env" not in staged and "secrets/k.txt" not in staged
    assert "not staged" in result.output and ".env" in result.output
    (project / ".env").write_text(SECRET, "utf-8")  # the user's real key, later
    git("commit", "--quiet", "-m", "update", cwd=project)
    assert "my-real-secret" not in git("log", "-p", "--all", cwd=project)


def test_a_file_the_template_turns_into_a_folder_is_set_aside_under_a_plain_name(
    template: Path, tmp_path: Path
) -> None:
    project = generate(template, tmp_path / "project")
    write(project, {"config.yml": "x: 1\nmine: 2\n"})
    commit(project)
    write(template, {"project/config.yml": None})
    release(template, "0.2.0", {"config.yml/base.yml": "other: 3\n"}, QUESTIONS)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1, result.output
    assert "~" not in result.output
    assert "removed" not in result.output  # the template did not remove it
    assert "config.yml is now the template's folder" in result.stderr
    assert "your file config.yml is kept as config.yml.mine" in result.stderr
    assert (project / "config.yml.mine").read_text("utf-8") == "x: 1\nmine: 2\n"
    assert (project / "config.yml" / "base.yml").is_file()
    assert not list(project.glob("*~*"))
    assert not git("ls-files", "--unmerged", cwd=project)


def test_a_folder_the_user_made_of_a_file_the_template_changed(
    template: Path, tmp_path: Path
) -> None:
    project = generate(template, tmp_path / "project")
    git("rm", "--quiet", "data", cwd=project)
    write(project, {"data/mine.csv": "1,2\n"})
    commit(project)
    release(template, "0.2.0", {"data": "template data, changed\n"}, QUESTIONS)
    result = cli_run("update", project, "--defaults")
    assert "~" not in result.output, result.output
    assert "data is now your folder" in result.stderr
    assert "the template's file data is kept as data.template" in result.stderr
    assert (project / "data.template").read_text("utf-8") == "template data, changed\n"
    assert (project / "data" / "mine.csv").read_text("utf-8") == "1,2\n"
    assert not list(project.glob("*~*"))


def test_a_binary_conflict_is_described_as_binary(template: Path, tmp_path: Path) -> None:
    release(template, "0.1.1", {"model.bin": "\0\1base"}, QUESTIONS)
    project = tmp_path / "project"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    (project / "model.bin").write_bytes(b"\0\2mine")
    write(project, {"a.txt": "a\nmine\n"})
    commit(project)
    release(template, "0.2.0", {"model.bin": "\0\3template", "a.txt": "b\n"}, QUESTIONS)
    for where in ((project,), ("--all", tmp_path)):
        result = cli_run("update", *where, "--defaults")
        assert result.exit_code == 1
        binary = next(line for line in result.stderr.splitlines() if "model.bin" in line)
        assert binary.startswith("Binary conflicts") and "<<<<<<<" not in binary
        assert "a.txt" in next(line for line in result.stderr.splitlines() if "<<<<<<<" in line)
        git("reset", "--quiet", "--hard", cwd=project)

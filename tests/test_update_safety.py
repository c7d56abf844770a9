"""An update never destroys local work: untracked and ignored files, git operations in progress,
concurrent updates, downgrades, a full disk; and ``diff`` leaves the repository's objects alone."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.gitutil import GitError, git
from mlscaffold.update import guard, merge

from .updatekit import (
    answers,
    cli_run,
    commit,
    conflicting_branch,
    isolate,
    lines,
    release,
    write,
)

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
SECRET = "API_KEY=my-real-secret\n"


def state(project: Path) -> dict[str, object]:
    """Everything an update could change: each file's bytes, the index, HEAD and git's status."""
    files = {
        p.relative_to(project).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(project.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(project).parts
    }
    return {
        "files": files,
        "index": git("ls-files", "--stage", cwd=project),
        "head": git("rev-parse", "HEAD", cwd=project),
        "status": git("status", "--porcelain", "--ignored", "--untracked-files=all", cwd=project),
    }


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    return release(
        tmp_path / "template",
        "0.1.0",
        {"a.txt": lines("a"), "config.yml": lines("config")},
        QUESTIONS,
    )


def generate(template: Path, project: Path, *args: str) -> Path:
    result = cli_run("new", template, project, "--defaults", *args)
    assert result.exit_code == 0, result.output
    return project


# ---- untracked and ignored files are never replaced ------------------------------------------


@pytest.fixture
def with_env(template: Path, tmp_path: Path) -> Path:
    """A project with an ignored .env holding secrets; the template's 0.2.0 adds a .env."""
    project = generate(template, tmp_path / "project")
    write(project, {".gitignore": ".env\n"})
    commit(project, "ignore .env")
    write(project, {".env": SECRET})
    release(template, "0.2.0", {".env": "API_KEY=change-me\n", "b.txt": "b\n"}, QUESTIONS)
    return project


def test_an_ignored_file_the_template_adds_is_not_overwritten(with_env: Path) -> None:
    before = state(with_env)
    result = cli_run("update", with_env, "--defaults")
    assert result.exit_code == 1
    assert ".env" in result.output and "--force-overwrite" in result.output
    assert "nothing was changed" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert (with_env / ".env").read_text("utf-8") == SECRET
    assert state(with_env) == before
    # and `git reset --hard`, the usual undo, would not take it either: nothing was staged
    assert not (with_env / ".git" / guard.LOCK).exists()


def test_a_dry_run_reports_the_files_in_the_way(with_env: Path) -> None:
    before = state(with_env)
    result = cli_run("update", with_env, "--defaults", "--dry-run")
    assert result.exit_code == 1
    assert "Would stop" in result.stderr and ".env" in result.stderr
    assert "b.txt" in result.output  # the rest of the report is there
    assert state(with_env) == before


def test_force_overwrite_lets_the_template_replace_a_named_file(with_env: Path) -> None:
    result = cli_run("update", with_env, "--defaults", "--force-overwrite", ".env")
    assert result.exit_code == 0, result.output
    assert (with_env / ".env").read_text("utf-8") == "API_KEY=change-me\n"
    assert (with_env / "b.txt").is_file()


@pytest.mark.parametrize("change", ["changes", "removes"])
def test_a_file_untracked_but_kept_is_left_alone(template: Path, tmp_path: Path, change) -> None:
    project = generate(template, tmp_path / "project")
    git("rm", "--quiet", "--cached", "config.yml", cwd=project)
    write(project, {".gitignore": "config.yml\n", "config.yml": "my: local settings\n"})
    commit(project, "keep config.yml local")
    new_config = lines("config").replace("config 3", "TEMPLATE 3") if change == "changes" else None
    release(template, "0.2.0", {"config.yml": new_config, "b.txt": "b\n"}, QUESTIONS)
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1 and "config.yml" in result.output, result.output
    assert (project / "config.yml").read_text("utf-8") == "my: local settings\n"
    assert state(project) == before


def test_force_overwrite_gives_an_untracked_file_the_template_version(template, tmp_path) -> None:
    project = generate(template, tmp_path / "project")
    git("rm", "--quiet", "--cached", "config.yml", cwd=project)
    write(project, {".gitignore": "config.yml\n", "config.yml": "my: local settings\n"})
    commit(project, "keep config.yml local")
    release(template, "0.2.0", {"config.yml": "template: 2\n"}, QUESTIONS)
    result = cli_run("update", project, "--defaults", "--force-overwrite", "config.yml")
    assert result.exit_code == 0, result.output
    assert (project / "config.yml").read_text("utf-8") == "template: 2\n"
    assert "config.yml" not in git("ls-files", cwd=project)  # still yours, untracked


def test_an_ignored_folder_where_the_template_puts_a_file(template: Path, tmp_path: Path) -> None:
    project = generate(template, tmp_path / "project")
    write(project, {".gitignore": "data/\n"})
    commit(project, "ignore data")
    write(project, {"data/big.csv": "x,y\n1,2\n"})
    release(template, "0.2.0", {"data": "a file now\n"}, QUESTIONS)
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1 and "data/" in result.output
    assert state(project) == before


def test_untracked_files_elsewhere_do_not_block(with_env: Path) -> None:
    write(with_env, {".gitignore": ".env\nnotes/\n", "notes/mine.txt": "mine\n"})
    commit(with_env, "more ignores")
    write(with_env, {"notes/mine.txt": "mine\n"})
    result = cli_run("update", with_env, "--defaults", "--force-overwrite", "./.env")
    assert result.exit_code == 0, result.output
    assert (with_env / "notes" / "mine.txt").read_text("utf-8") == "mine\n"


# ---- no downgrade unless asked ------------------------------------------------------------------


def test_a_pre_release_is_not_moved_back_to_the_last_final(template: Path, tmp_path: Path) -> None:
    release(template, "2.0.0rc1", {"b.txt": "rc1\n"}, QUESTIONS)
    project = generate(template, tmp_path / "project", "--vcs-ref", "2.0.0rc1")
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0 and "up to date" in result.output, result.output
    assert state(project) == before and answers(project)["_commit"] == "2.0.0rc1"
    check = cli_run("check", project)
    assert check.exit_code == 0 and "pre-release" in check.output and "behind" not in check.output

    release(template, "2.0.0rc2", {"b.txt": "rc2\n"}, QUESTIONS)  # a project on a pre-release
    assert cli_run("check", project).exit_code == 1  # follows the later pre-releases
    assert cli_run("update", project, "--defaults").exit_code == 0
    assert answers(project)["_commit"] == "2.0.0rc2"


def test_v_prefixes_and_numeric_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)
    template = tmp_path / "template"
    for tag in ("v1.0.9", "v1.0.10"):
        release(template, tag, {"a.txt": f"{tag}\n"}, QUESTIONS)
    project = generate(template, tmp_path / "project")
    assert answers(project)["_commit"] == "v1.0.10"
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0 and "up to date" in result.output
    assert cli_run("check", project).exit_code == 0
    refused = cli_run("update", project, "--to", "v1.0.9")
    assert refused.exit_code == 1 and "older than the project's version" in refused.output


def test_an_untracked_commit_is_compared_by_ancestry(template: Path, tmp_path: Path) -> None:
    write(template, {"project/c.txt": "unreleased\n"})
    commit(template, "unreleased work")
    project = generate(template, tmp_path / "project", "--vcs-ref", "HEAD")
    recorded = answers(project)["_commit"]
    assert recorded.startswith("0.1.0-1-g"), recorded
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0 and "ahead" in result.output, result.output
    assert state(project) == before
    assert '"state": "ahead"' in cli_run("check", project, "--json").output

    release(template, "0.2.0", {"b.txt": "b\n"}, QUESTIONS)  # a descendant: an update
    assert cli_run("check", project).exit_code == 1
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert answers(project)["_commit"] == "0.2.0" and (project / "c.txt").is_file()


def test_a_commit_off_the_release_line_is_not_moved(template: Path, tmp_path: Path) -> None:
    git("checkout", "--quiet", "-b", "experiment", cwd=template)
    write(template, {"project/c.txt": "experiment\n"})
    commit(template, "experiment")
    project = generate(template, tmp_path / "project", "--vcs-ref", "experiment")
    git("checkout", "--quiet", "main", cwd=template)
    release(template, "0.2.0", {"b.txt": "b\n"}, QUESTIONS)
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0 and "diverged" in result.output and "--to" in result.output
    assert state(project) == before
    assert cli_run("update", project, "--defaults", "--to", "0.2.0").exit_code == 0


# ---- no update in the middle of a git operation, and one at a time ---------------------------


OPERATIONS = {
    "a merge": ["merge", "other"],
    "a rebase": ["rebase", "other"],
    "a cherry-pick": ["cherry-pick", "other"],
    "a revert": ["revert", "--no-edit", "HEAD"],
}


@pytest.mark.parametrize("what", [*OPERATIONS, "a bisect"])
def test_refuses_during_a_git_operation(template: Path, tmp_path: Path, what: str) -> None:
    project = generate(template, tmp_path / "project")
    conflicting_branch(project)
    release(template, "0.2.0", {"b.txt": "b\n"}, QUESTIONS)
    if what == "a bisect":
        git("bisect", "start", "HEAD", "HEAD~2", cwd=project)
    elif what == "a revert":
        write(project, {"a.txt": "again\n"})
        commit(project, "again")
        git("revert", "--no-edit", "HEAD~1", cwd=project, check=False)
    else:
        git(*OPERATIONS[what], cwd=project, check=False)
    before = state(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1
    assert f"in the middle of {what}" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert state(project) == before


@pytest.fixture
def updatable(template: Path, tmp_path: Path) -> Path:
    project = generate(template, tmp_path / "project")
    release(template, "0.2.0", {"b.txt": "b\n"}, QUESTIONS)
    return project


def test_a_second_update_waits_for_the_first(updatable: Path, monkeypatch) -> None:
    inner = []
    apply = merge.apply

    def apply_and_race(*args):
        inner.append(cli_run("update", updatable, "--defaults"))  # while the first holds it
        return apply(*args)

    monkeypatch.setattr(merge, "apply", apply_and_race)
    result = cli_run("update", updatable, "--defaults")
    assert result.exit_code == 0, result.output
    assert inner[0].exit_code == 1
    assert f"another mlscaffold update (process {os.getpid()}) is running" in inner[0].output
    assert (updatable / "b.txt").is_file() and not (updatable / ".git" / guard.LOCK).exists()


def test_a_stale_lock_is_taken_over(updatable: Path) -> None:
    import socket

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_OUT)
    lock = updatable / ".git" / guard.LOCK
    lock.write_text(f"{finished.stdout.strip()} {socket.gethostname()}\n")
    result = cli_run("update", updatable, "--defaults")
    assert result.exit_code == 0, result.output
    assert (updatable / "b.txt").is_file() and not lock.exists()


_OUT = {"capture_output": True, "text": True, "check": True}


# ---- a full disk ------------------------------------------------------------------------------


def test_a_full_disk_during_the_merge_says_how_to_get_back(updatable: Path, monkeypatch) -> None:
    before = state(updatable)
    real_git = merge.git

    def full_disk(*args, **kwargs):
        out = real_git(*args, **kwargs)
        if "cherry-pick" in args and "--no-commit" in args:  # it wrote part of the tree
            raise GitError("error: unable to write file b.txt: No space left on device")
        return out

    monkeypatch.setattr(merge, "git", full_disk)
    result = cli_run("update", updatable, "--defaults")
    assert result.exit_code == 1 and "disk is full" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "`git reset --hard`" in result.output and "`git clean -f -- b.txt`" in result.output
    assert state(updatable) != before
    git("reset", "--quiet", "--hard", cwd=updatable)  # what the message says
    git("clean", "--quiet", "-f", "--", "b.txt", cwd=updatable)
    assert state(updatable) == before


def test_a_full_disk_while_rendering_changes_nothing(updatable: Path, monkeypatch) -> None:
    import errno

    from mlscaffold.update import apply as update

    def no_space(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(update, "copier_render", no_space)
    before = state(updatable)
    result = cli_run("update", updatable, "--defaults")
    assert result.exit_code == 1 and "disk is full" in result.output
    assert "nothing in the project changed" in result.output
    assert state(updatable) == before


# ---- diff writes no objects ---------------------------------------------------------------------


def _objects(project: Path) -> list[str]:
    store = project / ".git" / "objects"
    return sorted(p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file())


def test_diff_leaves_the_object_store_unchanged(updatable: Path) -> None:
    write(updatable, {"a.txt": lines("a") + "my line\n", "mine.txt": "new file of mine\n"})
    commit(updatable, "edits")
    write(updatable, {"a.txt": lines("a") + "my line\nuncommitted\n"})
    objects, counted = _objects(updatable), git("count-objects", "-v", cwd=updatable)
    mine = cli_run("diff", updatable)
    assert mine.exit_code == 0 and "+uncommitted" in mine.output and "mine.txt" in mine.output
    upstream = cli_run("diff", updatable, "--upstream")
    assert upstream.exit_code == 0 and "+++ b/b.txt" in upstream.output
    assert _objects(updatable) == objects
    assert git("count-objects", "-v", cwd=updatable) == counted

"""Each generated project's lock file (generate/lockfile.py, commands/locking.py): `new` writes
uv.lock with `uv lock` before the first commit, `update` regenerates it when pyproject.toml
changed, and a lock that cannot be made is a one-line warning. These tests lock for real, on a
tiny template depending on `click` (the package index is reachable here)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlscaffold import config
from mlscaffold.generate import lockfile
from mlscaffold.gitutil import git

from .e2e.helpers import REAL_HOME
from .updatekit import cli_run, isolate, release

PYPROJECT = """[project]
name = "tiny"
version = "0.1.0"
requires-python = ">=3.10"
dependencies = [{deps}]
"""


def pyproject(*deps: str) -> str:
    return PYPROJECT.format(deps=", ".join(f'"{dep}"' for dep in deps))


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git template at 0.1.0 whose project depends on click; locking on, uv's cache warm."""
    isolate(tmp_path / "home", monkeypatch)
    monkeypatch.setenv("MLSCAFFOLD_LOCK", "1")
    monkeypatch.setenv("UV_CACHE_DIR", str(REAL_HOME / ".cache" / "uv"))
    files = {"pyproject.toml": pyproject("click"), "a.txt": "a\n"}
    return release(tmp_path / "tpl", "0.1.0", files, {})


def locked_names(project: Path) -> set[str]:
    import tomllib

    lock = tomllib.loads((project / "uv.lock").read_text("utf-8"))
    return {package["name"] for package in lock["package"]}


def test_new_locks_before_the_first_commit(template: Path, tmp_path: Path) -> None:
    result = cli_run("new", template, tmp_path / "p", "--defaults")
    assert result.exit_code == 0, result.output
    assert "Locking dependencies with `uv lock` (contacts the package index" in result.output
    assert "click" in locked_names(tmp_path / "p")
    assert "uv.lock" in git("ls-files", cwd=tmp_path / "p").split()  # in the first commit
    assert not git("status", "--porcelain", cwd=tmp_path / "p")


def test_in_a_monorepo_the_lock_is_staged_with_the_project(template: Path, tmp_path: Path) -> None:
    repo = tmp_path / "mono"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    result = cli_run("new", template, repo / "app", "--defaults")
    assert result.exit_code == 0, result.output
    assert "app/uv.lock" in git("diff", "--cached", "--name-only", cwd=repo).split()


@pytest.mark.parametrize("how", ["flag", "setting"])
def test_no_lock_flag_and_setting_skip_it(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    args = ["new", template, tmp_path / "p", "--defaults"]
    if how == "flag":
        args.append("--no-lock")
    else:
        monkeypatch.delenv("MLSCAFFOLD_LOCK")
        assert cli_run("config", "set", "settings.lock", "false").exit_code == 0
        assert not config.lock_enabled()
    result = cli_run(*args)
    assert result.exit_code == 0, result.output
    assert "Locking" not in result.output and not (tmp_path / "p" / "uv.lock").exists()


def test_the_setting_takes_true_or_false_only() -> None:
    result = cli_run("config", "set", "settings.lock", "maybe")
    assert result.exit_code == 1 and "must be one of true, false" in result.output


def test_offline_lock_failure_is_a_one_line_warning(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))  # nothing to lock from
    monkeypatch.setenv("UV_OFFLINE", "1")
    result = cli_run("new", template, tmp_path / "p", "--defaults")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "no uv.lock written" in line]
    assert len(warnings) == 1 and "run `uv lock` in the project when online" in warnings[0]
    assert "click" in warnings[0]  # uv's reason: the package it could not find
    assert "Traceback" not in result.output
    committed = git("ls-files", cwd=tmp_path / "p").split()
    assert committed == [".copier-answers.yml", "a.txt", "pyproject.toml"]


def test_update_regenerates_the_lock_when_pyproject_changes(template: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "uv.lock regenerated from pyproject.toml (not merged; staged)" in result.output
    assert {"click", "six"} <= locked_names(project)
    assert "uv.lock" in git("diff", "--cached", "--name-only", cwd=project).split()
    check = subprocess.run(
        [lockfile.uv_binary(), "lock", "--check", "--offline"], cwd=project, capture_output=True
    )
    assert check.returncode == 0, check.stderr  # what CI's `uv sync --locked` asks


def test_updating_many_projects_regenerates_each_lock(template: Path, tmp_path: Path) -> None:
    projects = [tmp_path / "p1", tmp_path / "p2"]
    for project in projects:
        assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", *projects, "--defaults")
    assert result.exit_code == 0, result.output
    assert result.output.count("uv.lock regenerated from pyproject.toml") == 2, result.output
    assert all("six" in locked_names(project) for project in projects)


def test_update_leaves_the_lock_alone_when_pyproject_is_unchanged(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    before = (project / "uv.lock").read_text("utf-8")
    release(template, "0.2.0", {"a.txt": "a\nb\n"}, {})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "uv.lock" not in result.output
    assert (project / "uv.lock").read_text("utf-8") == before


@pytest.mark.parametrize("lock", ["1", "0"])
def test_update_locks_a_project_when_the_template_starts_installing_from_uv_lock(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock: str
) -> None:
    """A project made before its template shipped uv.lock gets one with the update that makes
    its Dockerfile copy it (unless the user turned locking off)."""
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults", "--no-lock").exit_code == 0
    release(template, "0.2.0", {"Dockerfile": "COPY pyproject.toml uv.lock ./\n"}, {})
    monkeypatch.setenv("MLSCAFFOLD_LOCK", lock)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    staged = git("diff", "--cached", "--name-only", cwd=project).split()
    if lock == "1":
        assert "uv.lock written: the template now installs from it" in result.output
        assert "click" in locked_names(project) and "uv.lock" in staged
    else:
        assert "uv.lock" not in result.output and not (project / "uv.lock").exists()


def test_a_conflicted_pyproject_is_not_locked(template: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    before = (project / "uv.lock").read_text("utf-8")
    (project / "pyproject.toml").write_text(pyproject("click", "idna"), "utf-8")
    git("commit", "-qam", "mine", cwd=project)
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1 and "Conflicts" in result.output
    assert "uv.lock not updated: pyproject.toml has conflicts; resolve them" in result.output
    assert (project / "uv.lock").read_text("utf-8") == before


def test_an_untrusted_template_is_locked_without_source_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A source build runs the package's code: not for a template the user did not trust."""
    seen = []

    def fake_run(command, **kwargs):
        seen.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(lockfile.subprocess, "run", fake_run)
    lockfile.lock(tmp_path, build=False)
    lockfile.lock(tmp_path, build=True)
    assert "--no-build" in seen[0] and "--no-build" not in seen[1]


def test_uv_errors_become_one_line() -> None:
    output = (
        "Using CPython 3.11\nerror: Request failed after 3 retries\n"
        "  cause: Failed to fetch: https://example.invalid/torch/\n  cause: dns error\n"
        "  cause: failed to lookup address information\n"
    )
    assert lockfile.reason(output) == (
        "Request failed after 3 retries: Failed to fetch: https://example.invalid/torch/ "
        "(failed to lookup address information)"
    )
    assert lockfile.reason("") == "uv lock failed"


def test_a_dry_run_says_the_lock_would_be_regenerated(template: Path, tmp_path: Path) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    before = (project / "uv.lock").read_text("utf-8")
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "uv.lock would be regenerated from pyproject.toml with `uv lock` (not merged)" in (
        result.output
    )
    assert (project / "uv.lock").read_text("utf-8") == before  # nothing locked


def test_a_dry_run_of_many_projects_says_it_in_each_row(template: Path, tmp_path: Path) -> None:
    projects = [tmp_path / "p1", tmp_path / "p2"]
    for project in projects:
        assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", *projects, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    assert result.output.count("uv.lock would be regenerated from pyproject.toml") == 2
    assert all("six" not in locked_names(project) for project in projects)


@pytest.mark.parametrize("lock", ["1", "0"])
def test_a_dry_run_says_a_first_lock_would_be_written(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lock: str
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults", "--no-lock").exit_code == 0
    release(template, "0.2.0", {"Dockerfile": "COPY pyproject.toml uv.lock ./\n"}, {})
    monkeypatch.setenv("MLSCAFFOLD_LOCK", lock)
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    said = "uv.lock would be written with `uv lock`: the template now installs from it"
    assert (said in result.output) == (lock == "1"), result.output
    assert not (project / "uv.lock").exists()


def test_a_dry_run_says_nothing_of_the_lock_when_pyproject_is_unchanged(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"a.txt": "a\nb\n"}, {})
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert result.exit_code == 0 and "Would update" in result.output, result.output
    assert "uv.lock" not in result.output


def test_the_pull_request_body_says_the_lock_is_machine_made(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    body = tmp_path / "body.md"
    args = ("--defaults", "--pr-branch", "upd", "--pr-body", body)
    result = cli_run("update", project, *args)
    assert result.exit_code == 0, result.output
    note = "`uv.lock` was regenerated by `uv lock` from `pyproject.toml`, not merged: its diff is"
    assert [line for line in body.read_text("utf-8").splitlines() if note in line]
    assert "uv.lock" in git("show", "--name-only", "--format=", "upd", cwd=project).split()


def test_the_pull_request_body_names_no_lock_when_none_was_made(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"a.txt": "a\nb\n"}, {})
    body = tmp_path / "body.md"
    assert cli_run("update", project, "--defaults", "--pr-body", body).exit_code == 0
    assert "uv.lock" not in body.read_text("utf-8")


@pytest.fixture
def existing(tmp_path: Path) -> Path:
    """A git project with one commit and no pyproject.toml, to add the template to."""
    project = tmp_path / "existing"
    project.mkdir()
    (project / "README.md").write_text("mine\n", "utf-8")
    git("init", "--quiet", cwd=project)
    git("add", "README.md", cwd=project)
    git("-c", "user.name=me", "-c", "user.email=me@x", "commit", "-qm", "init", cwd=project)
    return project


ADDED = ".copier-answers.tiny.yml"


def test_adding_a_template_to_a_project_commits_its_lock_with_its_files(
    template: Path, existing: Path
) -> None:
    result = cli_run("new", template, existing, "--defaults", "--answers-file", ADDED)
    assert result.exit_code == 0, result.output
    assert "Locking dependencies with `uv lock`" in result.output
    assert "click" in locked_names(existing)
    added = git("show", "--name-only", "--format=", "HEAD", cwd=existing).split()
    assert sorted(added) == sorted([ADDED, "a.txt", "pyproject.toml", "uv.lock"])
    assert not git("status", "--porcelain", cwd=existing)


@pytest.mark.parametrize("how", ["flag", "setting", "environment"])
def test_adding_a_template_without_locking(
    template: Path, existing: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    args = ["new", template, existing, "--defaults", "--answers-file", ADDED]
    if how == "flag":
        args.append("--no-lock")
    elif how == "setting":
        monkeypatch.delenv("MLSCAFFOLD_LOCK")
        assert cli_run("config", "set", "settings.lock", "false").exit_code == 0
    else:
        monkeypatch.setenv("MLSCAFFOLD_LOCK", "0")
    result = cli_run(*args)
    assert result.exit_code == 0, result.output
    assert "Locking" not in result.output and not (existing / "uv.lock").exists()
    assert "pyproject.toml" in git("ls-files", cwd=existing).split()


def test_adding_a_template_offline_warns_in_one_line_and_adds_it_unlocked(
    template: Path, existing: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("UV_OFFLINE", "1")
    result = cli_run("new", template, existing, "--defaults", "--answers-file", ADDED)
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if "no uv.lock written" in line]
    assert len(warnings) == 1 and "run `uv lock` in the project when online" in warnings[0]
    assert "Traceback" not in result.output and not (existing / "uv.lock").exists()
    assert "pyproject.toml" in git("ls-files", cwd=existing).split()


def test_adding_a_template_refuses_to_overwrite_the_projects_lock(
    template: Path, existing: Path
) -> None:
    (existing / "uv.lock").write_text("mine\n", "utf-8")
    git("add", "uv.lock", cwd=existing)
    git("-c", "user.name=me", "-c", "user.email=me@x", "commit", "-qm", "lock", cwd=existing)
    result = cli_run("new", template, existing, "--defaults", "--answers-file", ADDED)
    assert result.exit_code == 1 and "would overwrite files" in result.output, result.output
    assert "uv.lock" in result.output and (existing / "uv.lock").read_text("utf-8") == "mine\n"
    assert not (existing / "pyproject.toml").exists()


def test_a_dry_run_says_a_conflicted_pyproject_would_not_be_locked(
    template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    (project / "pyproject.toml").write_text(pyproject("click", "idna"), "utf-8")
    git("commit", "-qam", "mine", cwd=project)
    release(template, "0.2.0", {"pyproject.toml": pyproject("click", "six")}, {})
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert "Would conflict: pyproject.toml" in result.output, result.output
    assert "uv.lock would not be updated: pyproject.toml would conflict" in result.output
    assert "would be regenerated" not in result.output

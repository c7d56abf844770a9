"""Faults around the tool get one-line answers: a closed output pipe, a missing or read-only HOME,
git missing from PATH. The commands run as real processes, as a user or a CI job runs them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import make_template
from .trustkit import QUESTIONS, one_line_error
from .updatekit import cli_run, commit, isolate, release, write


def mlscaffold(
    *args: str | Path, env: dict[str, str] | None = None, **kw
) -> subprocess.CompletedProcess:
    """``python -m mlscaffold *args`` in a new process (``env`` replaces the environment)."""
    command = [sys.executable, "-m", "mlscaffold", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, **kw)


def closed_pipe(*args: str | Path) -> subprocess.CompletedProcess:
    """Run mlscaffold with stdout a pipe whose reader has already gone (`... | head -0`)."""
    read, write_end = os.pipe()
    os.close(read)
    try:
        command = [sys.executable, "-m", "mlscaffold", *map(str, args)]
        return subprocess.run(command, stdout=write_end, stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write_end)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project one release behind its custom template, with a local edit committed."""
    isolate(tmp_path / "home", monkeypatch)
    files = {f"f{i}.txt": "".join(f"line {j}\n" for j in range(200)) for i in range(20)}
    template = release(tmp_path / "template", "0.1.0", files, QUESTIONS)
    assert cli_run("new", template, tmp_path / "project", "--defaults").exit_code == 0
    release(template, "0.2.0", {name: "changed\n" for name in files}, QUESTIONS)
    write(tmp_path / "project", {name: "mine\n" for name in files})
    commit(tmp_path / "project")
    return tmp_path / "project"


@pytest.mark.parametrize(
    "args", [("list",), ("list", "--json"), ("check", "--json"), ("diff",), ("diff", "--upstream")]
)
def test_a_closed_pipe_ends_the_command_quietly(project: Path, args: tuple[str, ...]) -> None:
    full = mlscaffold(*args, cwd=project)
    assert full.stdout.strip() and not full.stderr  # there is output to lose
    result = closed_pipe(*args, project) if args[0] != "list" else closed_pipe(*args)
    assert result.returncode == 141  # as a shell reports a command ended by SIGPIPE
    assert result.stderr == ""


def _no_passwd(*args: str | Path) -> list[str]:
    """A command running mlscaffold as a user with neither HOME nor a passwd entry."""
    code = (
        "import pwd, sys\n"
        "def missing(*_): raise KeyError('no passwd entry')\n"
        "pwd.getpwuid = missing\n"
        "sys.argv = ['mlscaffold', *sys.argv[1:]]\n"
        "from mlscaffold.cli import main\n"
        "main()\n"
    )
    return [sys.executable, "-c", code, *map(str, args)]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HOME" and not k.startswith("XDG_")}
    return {**env, **extra}


def test_without_any_home_folder_new_and_check_work_with_a_note(tmp_path: Path) -> None:
    env = _clean_env(TMPDIR=str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    project = tmp_path / "project"
    args = ("new", "recommender", project, "--defaults", "--data", "author_name=A B")
    result = subprocess.run(
        _no_passwd(*args), capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (
        "Note: no home folder (HOME is not set)" in result.stderr
        and "XDG_DATA_HOME" in result.stderr
    )
    assert "Traceback" not in result.stderr and (project / ".git").is_dir()
    assert not (tmp_path / "~").exists()  # no literal "~" folder made in the current folder
    check = subprocess.run(_no_passwd("check", project), capture_output=True, text=True, env=env)
    assert check.returncode == 0 and "up to date" in check.stdout, check.stderr


def _read_only_home(tmp_path: Path) -> list[tuple[str, Path, list[str]]]:
    """Ways to make HOME unwritable here: a path below a regular file (always), and a real
    read-only bind mount when user namespaces allow one (root ignores file modes)."""
    (tmp_path / "file").write_text("not a folder\n", "utf-8")
    ways = [("below a file", tmp_path / "file" / "home", [])]
    ro = tmp_path / "rohome"
    ro.mkdir()
    if (
        shutil.which("unshare")
        and subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode == 0
    ):
        wrap = ["unshare", "-rm", "sh", "-c", f'mount -o bind,ro {ro} {ro} && exec "$@"', "sh"]
        ways.append(("read-only mount", ro, wrap))
    return ways


def test_with_a_read_only_home_new_falls_back_and_config_says_what_to_set(tmp_path: Path) -> None:
    for label, home, wrap in _read_only_home(tmp_path):
        env = _clean_env(HOME=str(home), TMPDIR=str(tmp_path / "tmp"))
        (tmp_path / "tmp").mkdir(exist_ok=True)
        project = tmp_path / f"project-{len(wrap)}"
        base = [sys.executable, "-m", "mlscaffold"]
        new = [*base, "new", "recommender", str(project), "--defaults", "--data", "author_name=A B"]
        result = subprocess.run([*wrap, *new], capture_output=True, text=True, env=env)
        assert result.returncode == 0, (label, result.stderr)
        assert "XDG_DATA_HOME" in result.stderr and "Traceback" not in result.stderr, label
        assert (project / ".git").is_dir()
        setting = [*base, "config", "set", "defaults.license", "MIT"]
        result = subprocess.run([*wrap, *setting], capture_output=True, text=True, env=env)
        assert result.returncode == 1, label
        assert "XDG_CONFIG_HOME" in one_line_error(result.stderr), label


def test_without_git_the_error_says_git_is_missing(project: Path, tmp_path: Path) -> None:
    (tmp_path / "empty-bin").mkdir()
    env = {**os.environ, "PATH": str(tmp_path / "empty-bin")}
    plain = make_template(tmp_path / "plain", {"a.txt": "a\n"}, "project_name: demo\n")
    for args in (
        ("check", project),
        ("update", project),
        ("diff", project),
        ("new", "recommender", tmp_path / "n1", "--defaults", "--data", "author_name=A B"),
        ("new", plain, tmp_path / "n2", "--defaults"),
    ):
        result = mlscaffold(*args, env=env)
        assert result.returncode == 1, args
        line = one_line_error(result.stderr)
        assert "git is not installed" in line and "not a git repository" not in line, args
        assert not (tmp_path / "n1").exists() and not (tmp_path / "n2").exists()

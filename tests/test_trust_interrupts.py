"""SIGTERM and SIGHUP (``timeout``, CI cancellation, a closed terminal) behave like Ctrl-C, with
real signals sent to a real mlscaffold process: ``new`` leaves nothing behind, ``update`` puts
the project back byte for byte and leaves no lock; a killed process's lock and scratch folder
need no stale detection; a Ctrl-C during start-up prints no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from mlscaffold import scratch
from mlscaffold.update import guard

from .test_update_safety import state
from .trustkit import evil_template, hold_update_lock
from .updatekit import cli_run, commit, isolate, release

SLOW = "{% for i in range(100000) %}{% for j in range(1000) %}{% endfor %}{% endfor %}\n"


def start(*args: str | Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", *map(str, args)],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def wait_for(found: Callable[[], bool], process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not found():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def scratch_folders(parent: Path) -> list[Path]:
    return sorted(parent.glob(f".*{scratch.SUFFIX}"))


@pytest.fixture
def slow_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    return evil_template(tmp_path / "template", {"slow.txt.jinja": SLOW})


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_during_new_removes_the_scratch_folder(
    slow_template: Path, tmp_path: Path, signum: int
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    process = start("new", slow_template, work / "proj", "--defaults", cwd=tmp_path)
    wait_for(lambda: bool(scratch_folders(work)), process)
    time.sleep(0.3)  # into the render
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "Traceback" not in err and "interrupted; nothing was written" in err
    assert list(work.iterdir()) == []


def test_a_killed_new_leaves_a_scratch_folder_that_the_next_new_removes(
    slow_template: Path, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    process = start("new", slow_template, work / "proj", "--defaults", cwd=tmp_path)
    wait_for(lambda: bool(scratch_folders(work)), process)
    time.sleep(0.3)
    process.kill()  # SIGKILL: nothing can clean up
    process.wait()
    [left] = scratch_folders(work)
    not_ours = work / ".notes.x.mlscaffold"  # a look-alike without our mark
    not_ours.mkdir()
    fast = evil_template(tmp_path / "fast", {})
    with scratch.folder(work / "busy") as busy:  # in use by a running mlscaffold
        result = cli_run("new", fast, work / "other", "--defaults")
        assert result.exit_code == 0, result.output
        assert not left.exists() and busy.is_dir() and not_ours.is_dir()
    assert sorted(p.name for p in work.iterdir()) == [not_ours.name, "other"]


@pytest.fixture
def updatable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose template's 0.2.0 runs a task (with --trust) that signals it started and
    then waits: the update has merged the template's changes into the working tree by then."""
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", {"a.txt": "a\n", "b.txt": "b\n"}, {})
    project = tmp_path / "fleet" / "project"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    (project / ".gitignore").write_text("*.local\n", "utf-8")
    commit(project, "ignore my notes")
    (project / "notes.local").write_text("mine\n", "utf-8")  # ignored: must survive
    # (its output not on our pipes: a slow machine must not make communicate() wait for it)
    task = f"touch {tmp_path / 'STARTED'} && exec sleep 60 >/dev/null 2>&1"
    files = {"a.txt": "a\nchanged\n", "b.txt": None, "c/new.txt": "new\n"}
    release(template, "0.2.0", files, {"_tasks": [task]})
    return project


@pytest.mark.parametrize(
    ("signum", "every"),
    [(signal.SIGTERM, False), (signal.SIGHUP, False), (signal.SIGTERM, True)],
    ids=["SIGTERM", "SIGHUP", "SIGTERM --all"],
)
def test_a_signal_during_update_restores_the_project(
    updatable: Path, tmp_path: Path, signum: int, every: bool
) -> None:
    before = state(updatable)
    where = ("--all", updatable.parent) if every else (updatable,)
    process = start("update", *where, "--defaults", "--trust", cwd=tmp_path)
    wait_for((tmp_path / "STARTED").exists, process)
    assert (updatable / "c" / "new.txt").exists()  # the merge is in the working tree
    process.send_signal(signum)
    out, err = process.communicate(timeout=180)
    assert process.returncode == 1, out + err
    assert "Traceback" not in err and "interrupted" in err
    assert state(updatable) == before
    assert not (updatable / ".git" / guard.LOCK).exists()


def test_a_held_lock_refuses_and_a_killed_holder_leaves_nothing_to_clean(
    updatable: Path,
) -> None:
    lock = updatable / ".git" / guard.LOCK
    holder = hold_update_lock(lock)
    try:
        before = state(updatable)
        result = cli_run("update", updatable, "--defaults")
        assert result.exit_code == 1
        assert f"another mlscaffold update (process {holder.pid}) is running" in result.output
        assert state(updatable) == before
    finally:
        holder.kill()  # SIGKILL: the file stays, its lock goes with the process
        holder.wait()
    assert lock.is_file()
    result = cli_run("update", updatable, "--defaults")
    assert result.exit_code == 0, result.output
    assert (updatable / "c" / "new.txt").is_file() and not lock.exists()


def test_ctrl_c_while_starting_up_prints_no_traceback(tmp_path: Path) -> None:
    """SIGINT arrives while the command line's libraries are imported (a real signal, sent when
    Python imports click)."""
    code = (
        "import os, signal, sys\n"
        "class Interrupt:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'click':\n"
        "            os.kill(os.getpid(), signal.SIGINT)\n"
        "sys.meta_path.insert(0, Interrupt())\n"
        "sys.argv = ['mlscaffold', 'list']\n"
        "from mlscaffold.launch import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == "Error: interrupted while starting; nothing was done\n"
    assert done.stdout == ""


def test_python_m_keeps_the_exit_status_after_an_interrupt_caught_in_exec_code(
    tmp_path: Path,
) -> None:
    """A signal that lands in ``exec``'d code (a dataclass built during a lazy import) and is
    handled still ends ``python -m`` with the command's status, not by SIGINT."""
    (tmp_path / "run_launch.py").write_text(
        "import sys\n"
        "import mlscaffold.cli\n"
        "def interrupted_command():\n"
        "    try:\n"
        "        exec('raise KeyboardInterrupt')\n"
        "    except KeyboardInterrupt:\n"
        "        sys.exit(1)\n"
        "mlscaffold.cli.cli = interrupted_command\n"
        "from mlscaffold.launch import main\n"
        "main()\n",
        "utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "run_launch"], capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr

"""The project's lock file: ``uv lock`` writes ``uv.lock`` from its ``pyproject.toml``.

``new`` locks a project before its first commit and ``update`` locks it again when the update
changed ``pyproject.toml``: the lock file is regenerated (uv keeps the pins it can), never
merged line by line. Locking contacts the package index, so it may fail (offline, an index that
cannot be reached); that is reported in one line and the project stays as it is.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

LOCK_FILE = "uv.lock"
PYPROJECT = "pyproject.toml"
# The project's own lock is wanted, not the caller's virtual environment or a frozen lock.
IGNORED_ENV = ("VIRTUAL_ENV", "UV_FROZEN", "UV_LOCKED")
BY_HAND = "run `uv lock` in the project when online, and commit uv.lock"
TIMEOUT = 600  # seconds; a resolution of a large project takes well under a minute


class LockError(RuntimeError):
    """``uv lock`` failed; the message is one line."""


def wanted(project: Path) -> bool:
    """Whether ``project`` is a Python project uv can lock (it has a ``pyproject.toml``)."""
    return (project / PYPROJECT).is_file()


def uv_binary() -> str:
    """The ``uv`` binary: the one installed with mlscaffold (the ``uv`` package), else on PATH."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if not found:
            raise LockError("uv is not installed (pip install uv)") from None
        return found


def lock(project: Path, *, build: bool, timeout: float = TIMEOUT) -> Path:
    """Run ``uv lock`` in ``project`` and return the lock file's path; LockError when it fails.

    Without ``build`` (a template from outside, not trusted) uv builds no source distribution,
    as a build runs the package's code: only dependencies with wheels can be locked. An existing
    lock file is the starting point: uv keeps its pins where the pyproject still allows them.
    The environment's ``UV_*`` settings (index, offline mode, cache) apply.
    """
    env = {k: v for k, v in os.environ.items() if k not in IGNORED_ENV}
    command = [uv_binary(), "lock", "--quiet", "--no-progress", "--directory", str(project)]
    if not build:
        command.append("--no-build")
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        raise LockError(f"uv lock ran over {timeout:.0f} s") from None
    except OSError as exc:
        raise LockError(f"cannot run uv: {exc.strerror or exc}") from None
    if result.returncode != 0:
        raise LockError(reason(result.stderr or result.stdout))
    return project / LOCK_FILE


def reason(output: str) -> str:
    """uv's error in one line: its ``error:`` line, first cause (often what it was fetching) and
    innermost cause."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    if not lines:
        return "uv lock failed"
    errors = [line for line in lines if line.startswith("error:")]
    parts = [(errors[0] if errors else lines[0]).removeprefix("error:").strip()]
    causes = [line.removeprefix("cause:").strip() for line in lines if line.startswith("cause:")]
    parts += [cause for cause in causes[:1] + causes[-1:] if cause not in parts]
    return ": ".join(parts[:2]) + (f" ({parts[2]})" if len(parts) > 2 else "")

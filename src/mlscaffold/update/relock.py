"""After an update: regenerate the project's uv.lock from its new pyproject.toml (never merged
line by line), or write a first one when the template now installs from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..generate import lockfile
from ..gitutil import GitError, git

HOW = lockfile.BY_HAND


@dataclass(frozen=True)
class Relocked:
    """What was done to uv.lock: ``message`` says it; ``ok`` False makes it a warning."""

    ok: bool
    message: str


def after_update(
    project: Path,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    *,
    trusted: bool,
    first: bool,
) -> Relocked | None:
    """Regenerate ``project``'s uv.lock when ``changes`` include pyproject.toml (source builds
    only for a ``trusted`` template) and stage it; with ``first``, write one for a project
    without uv.lock when the update made one of its files refer to it. None: nothing to do. A
    pyproject.toml in ``conflicts`` is left to the user."""
    changed = [path for what, path in changes if what != "deleted"]
    if (project / lockfile.LOCK_FILE).is_file():
        if lockfile.PYPROJECT not in changed and lockfile.PYPROJECT not in conflicts:
            return None
        done = "regenerated from pyproject.toml (not merged"
    elif first and lockfile.wanted(project) and _refers_to_lock(project, changed):
        done = "written: the template now installs from it (`uv lock`"
    else:
        return None
    if lockfile.PYPROJECT in conflicts:
        why = "pyproject.toml has conflicts; resolve them, then"
        return Relocked(False, f"uv.lock not updated: {why} {HOW}")
    try:
        lockfile.lock(project, build=trusted)
        git("add", "--", lockfile.LOCK_FILE, cwd=project)
    except (lockfile.LockError, GitError) as exc:
        return Relocked(False, f"uv.lock not updated ({exc}): {HOW}")
    same = not git("diff", "--cached", "--name-only", "--", lockfile.LOCK_FILE, cwd=project)
    return Relocked(True, f"uv.lock {done}; {'no pin changed' if same else 'staged'})")


def _refers_to_lock(project: Path, paths: list[str]) -> bool:
    """Whether one of the text files ``paths`` (relative to ``project``) names uv.lock."""
    for path in paths:
        try:
            if lockfile.LOCK_FILE in (project / path).read_text("utf-8"):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False

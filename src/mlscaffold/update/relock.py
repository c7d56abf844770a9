"""After an update: regenerate the project's uv.lock from its new pyproject.toml (never merged
line by line), or write a first one when the template now installs from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import config
from ..generate import lockfile
from ..gitutil import GitError, git

if TYPE_CHECKING:
    from .apply import UpdateResult

HOW = lockfile.BY_HAND
REGENERATED = "regenerated"  # what ``due`` answers: the project's uv.lock is made again
WRITTEN = "written"  # a first uv.lock for a project that had none


@dataclass(frozen=True)
class Relocked:
    """What was done to uv.lock: ``message`` says it; ``ok`` False makes it a warning; ``done``
    is REGENERATED or WRITTEN."""

    ok: bool
    message: str
    done: str = REGENERATED


def for_update(
    project: Path, result: UpdateResult, *, dry_run: bool, trusted: bool
) -> Relocked | None:
    """What the update ``result`` did to ``project``'s uv.lock (``after_update``), or in a dry run
    what it would do (``would``); a first lock only while locking is on (``config.lock_enabled``).
    None: nothing."""
    changes, conflicts, first = result.changes, result.conflicts, config.lock_enabled()
    if dry_run:
        line = would(project, changes, conflicts, first=first, names_lock=result.names_lock)
        return Relocked(True, line) if line else None
    return after_update(project, changes, conflicts, trusted=trusted, first=first)


def due(
    project: Path,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    *,
    first: bool,
    names_lock: bool | None = None,
) -> str | None:
    """What the update with ``changes`` and ``conflicts`` asks of ``project``'s uv.lock:
    REGENERATED when pyproject.toml changed (or conflicts) and the project has uv.lock; with
    ``first``, WRITTEN when it has none and a changed file now names it (``names_lock``; None:
    read the project's files); None: nothing."""
    if (project / lockfile.LOCK_FILE).is_file():
        changed = {path for what, path in changes if what != "deleted"}
        touched = lockfile.PYPROJECT in changed or lockfile.PYPROJECT in conflicts
        return REGENERATED if touched else None
    if names_lock is None:
        names_lock = refers_to_lock(project, changes)
    return WRITTEN if first and lockfile.wanted(project) and names_lock else None


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
    done = due(project, changes, conflicts, first=first)
    if done is None:
        return None
    if lockfile.PYPROJECT in conflicts:
        why = "pyproject.toml has conflicts; resolve them, then"
        return Relocked(False, f"uv.lock not updated: {why} {HOW}", done)
    try:
        lockfile.lock(project, build=trusted)
        git("add", "--", lockfile.LOCK_FILE, cwd=project)
    except (lockfile.LockError, GitError) as exc:
        return Relocked(False, f"uv.lock not updated ({exc}): {HOW}", done)
    same = not git("diff", "--cached", "--name-only", "--", lockfile.LOCK_FILE, cwd=project)
    if done == REGENERATED:
        what = "regenerated from pyproject.toml (not merged"
    else:
        what = "written: the template now installs from it (`uv lock`"
    return Relocked(True, f"uv.lock {what}; {'no pin changed' if same else 'staged'})", done)


def would(
    project: Path,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    *,
    first: bool,
    names_lock: bool | None,
) -> str | None:
    """What a dry run says the update would do to ``project``'s uv.lock (the arguments: as for
    ``due``); None: nothing."""
    done = due(project, changes, conflicts, first=first, names_lock=names_lock)
    if done is None:
        return None
    if lockfile.PYPROJECT in conflicts:
        return f"uv.lock would not be updated: pyproject.toml would conflict (resolve, then {HOW})"
    if done == REGENERATED:
        return "uv.lock would be regenerated from pyproject.toml with `uv lock` (not merged)"
    return "uv.lock would be written with `uv lock`: the template now installs from it"


def refers_to_lock(folder: Path, changes: list[tuple[str, str]]) -> bool:
    """Whether one of the text files the update's ``changes`` left in ``folder`` (all but the
    deleted ones) names uv.lock."""
    for what, path in changes:
        if what == "deleted":
            continue
        try:
            if lockfile.LOCK_FILE in (folder / path).read_text("utf-8"):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False

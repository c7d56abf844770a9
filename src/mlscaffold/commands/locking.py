"""What ``new`` and ``update`` say while they write a project's lock file (``uv.lock``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from ..update.apply import UpdateResult
    from ..update.relock import Relocked


def lock_new(project: Path, trusted: bool) -> None:
    """Lock the dependencies of the project rendered in ``project`` (before its first commit;
    source builds only for a ``trusted`` template); a failure is a one-line warning: the project
    is generated without a lock file."""
    from ..generate import lockfile

    if not lockfile.wanted(project):
        return
    click.echo("Locking dependencies with `uv lock` (contacts the package index; --no-lock skips)")
    try:
        lockfile.lock(project, build=trusted)
    except lockfile.LockError as exc:
        untrusted = "" if trusted else " (source builds are off for a template you did not --trust)"
        why = f"{exc}{untrusted}; {lockfile.BY_HAND}"
        click.secho(f"Warning: no uv.lock written: {why}", fg="yellow", err=True)


def relock_after_update(
    project: Path,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    *,
    trusted: bool,
    first: bool,
) -> Relocked | None:
    """Say, and return, what the update did to ``project``'s uv.lock
    (``update.relock.after_update``)."""
    from ..update.relock import after_update

    done = after_update(project, changes, conflicts, trusted=trusted, first=first)
    if done and done.ok:
        click.echo(done.message)
    elif done:
        click.secho(f"Warning: {done.message}", fg="yellow", err=True)
    return done


def relock_dry_run(project: Path, result: UpdateResult, *, first: bool) -> None:
    """Say what the update a dry run checked would do to ``project``'s uv.lock."""
    from ..update import relock

    changes, conflicts = result.changes, result.conflicts
    if line := relock.would(project, changes, conflicts, first=first, names_lock=result.names_lock):
        click.echo(line)

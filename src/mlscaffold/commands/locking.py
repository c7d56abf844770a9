"""What ``new`` and ``update`` say while they write a project's lock file (``uv.lock``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
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


def say_relocked(done: Relocked | None) -> None:
    """Say what an update did (or would do) to the project's uv.lock (``update.relock``): a
    failure as a warning."""
    if done and done.ok:
        click.echo(done.message)
    elif done:
        click.secho(f"Warning: {done.message}", fg="yellow", err=True)

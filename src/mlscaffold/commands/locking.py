"""What ``new`` and ``update`` say while they write a project's lock file (``uv.lock``)."""

from __future__ import annotations

from pathlib import Path

import click

HOW = "run `uv lock` in the project when online, and commit uv.lock"


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
        click.secho(f"Warning: no uv.lock written: {exc}{untrusted}; {HOW}", fg="yellow", err=True)


def relock_after_update(
    project: Path, changes: list[tuple[str, str]], conflicts: list[str], trusted: bool
) -> None:
    """Regenerate ``project``'s uv.lock after an update whose ``changes`` include
    pyproject.toml (a lock file is never merged line by line; source builds only for a
    ``trusted`` template) and stage it. A pyproject.toml in ``conflicts``, or a failure, is a
    warning that says how to do it by hand."""
    from ..generate import lockfile
    from ..gitutil import GitError, git

    if not (project / lockfile.LOCK_FILE).is_file():
        return
    if lockfile.PYPROJECT in conflicts:
        why = "pyproject.toml has conflicts; resolve them, then"
        click.secho(f"Warning: uv.lock not regenerated: {why} {HOW}", fg="yellow", err=True)
        return
    if not any(path == lockfile.PYPROJECT for _, path in changes):
        return
    try:
        lockfile.lock(project, build=trusted)
        git("add", "--", lockfile.LOCK_FILE, cwd=project)
    except (lockfile.LockError, GitError) as exc:
        click.secho(
            f"Warning: uv.lock not regenerated ({exc}): pyproject.toml changed, so {HOW}",
            fg="yellow",
            err=True,
        )
        return
    same = not git("diff", "--cached", "--name-only", "--", lockfile.LOCK_FILE, cwd=project)
    pins = "no pin changed" if same else "staged"
    click.echo(f"uv.lock regenerated from pyproject.toml (not merged; {pins})")

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
    project: Path,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    *,
    trusted: bool,
    first: bool,
) -> None:
    """Regenerate ``project``'s uv.lock after an update whose ``changes`` include
    pyproject.toml (a lock file is never merged line by line; source builds only for a
    ``trusted`` template) and stage it. With ``first``, a project without uv.lock gets one when
    the update made a file of the project refer to it (a template that now installs from it).
    A pyproject.toml in ``conflicts``, or a failure, is a warning that says how to do it by hand."""
    from ..generate import lockfile
    from ..gitutil import GitError, git

    changed = [path for what, path in changes if what != "deleted"]
    if (project / lockfile.LOCK_FILE).is_file():
        if lockfile.PYPROJECT not in changed and lockfile.PYPROJECT not in conflicts:
            return
        done = "regenerated from pyproject.toml (not merged"
    elif first and lockfile.wanted(project) and _refers_to_lock(project, changed):
        done = "written: the template now installs from it (`uv lock`"
    else:
        return
    if lockfile.PYPROJECT in conflicts:
        why = "pyproject.toml has conflicts; resolve them, then"
        click.secho(f"Warning: uv.lock not updated: {why} {HOW}", fg="yellow", err=True)
        return
    try:
        lockfile.lock(project, build=trusted)
        git("add", "--", lockfile.LOCK_FILE, cwd=project)
    except (lockfile.LockError, GitError) as exc:
        click.secho(f"Warning: uv.lock not updated ({exc}): {HOW}", fg="yellow", err=True)
        return
    same = not git("diff", "--cached", "--name-only", "--", lockfile.LOCK_FILE, cwd=project)
    click.echo(f"uv.lock {done}; {'no pin changed' if same else 'staged'})")


def _refers_to_lock(project: Path, paths: list[str]) -> bool:
    """Whether one of the text files ``paths`` (relative to ``project``) names uv.lock."""
    for path in paths:
        try:
            if "uv.lock" in (project / path).read_text("utf-8"):
                return True
        except (OSError, UnicodeDecodeError):
            continue
    return False

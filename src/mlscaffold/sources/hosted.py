"""Where a local template folder is hosted, so projects record a source everyone can fetch.

A mentor generates students' projects from a clone of the template repository they host (or a
colleague generates from their own clone). A project that recorded the clone's folder could be
updated on that machine only; when the clone's ``origin`` remote serves the version being
rendered, at the same commit, the project records the ``origin`` URL instead.
"""

from __future__ import annotations

from pathlib import Path

from .. import safety
from ..gitutil import GitError, git
from .catalog import is_url
from .origin import Origin, OriginError

REMOTE = "origin"


def origin_url(folder: Path) -> str | None:
    """The fetch URL of ``folder``'s ``origin`` remote (a relative path made absolute), if any."""
    try:
        url = git("remote", "get-url", REMOTE, cwd=folder, check=False)
    except GitError:
        return None
    if not url:
        return None
    if not is_url(url) and not Path(url).expanduser().is_absolute():
        url = str((folder / url).resolve())
    return url


def recorded_source(folder: Path, version: str) -> tuple[str, str | None]:
    """The source to record for ``version`` of the template repository ``folder``, and a note
    when it is the folder although ``folder`` has an ``origin`` remote (and why)."""
    url = origin_url(folder)
    if url is None:
        return str(folder), None
    keep = f"recorded the local folder {folder} as the project's template"
    try:
        safety.check_source(url, f"remote {REMOTE}")
        served = Origin(url, url, trusted=False).tags().get(version)
    except (safety.RefusedError, OriginError) as exc:
        return str(folder), f"{keep}: {exc}"
    mine = git("rev-parse", "--verify", "--quiet", f"{version}^{{commit}}", cwd=folder, check=False)
    if served != mine:
        why = "has no tag" if served is None else "has another commit for tag"
        return str(folder), f"{keep}: {url} {why} {version} (push it: git push {REMOTE} {version})"
    return url, None

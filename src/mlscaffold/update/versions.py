"""How a project's recorded template version stands against the template's releases.

Versions are compared as PEP 440 versions (``v`` prefixes and pre-releases such as ``2.0.0rc1``
included); a recorded commit that is no version (``0.1.0-3-gabc1234``, a bare commit id) is
compared by ancestry in the template's history, so nothing is ever taken for older than it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from ..gitutil import GitError, git
from ..project import load
from ..sources import changelog
from ..sources.changelog import Entry
from ..sources.origin import Origin, OriginError, of
from ..sources.origin import parse_version as parse

SAME, BEHIND, AHEAD, DIVERGED = "up to date", "behind", "ahead", "diverged"
_DESCRIBED = re.compile(r"-g([0-9a-f]{4,40})$")
_REF = re.compile(r"^[0-9A-Za-z_.+/][0-9A-Za-z_.+/-]*$")


def newest(source: Origin, current: str) -> str:
    """The newest release a project on ``current`` may move to: final releases, and pre-releases
    too when ``current`` is one (a project on ``2.0.0rc1`` follows ``2.0.0rc2``)."""
    versions = source.versions()
    if not versions:
        raise OriginError(f"{source.label} has no tagged versions to update to")
    mine = parse(current)
    allowed = [v for v in versions if not parse(v).is_prerelease or (mine and mine.is_prerelease)]
    return (allowed or versions)[-1]


def _commit(repo: Path, ref: str) -> str | None:
    match = _DESCRIBED.search(ref)
    name = match.group(1) if match else ref
    if not _REF.match(name):
        return None
    found = git("rev-parse", "--verify", "--quiet", f"{name}^{{commit}}", cwd=repo, check=False)
    return found or None


def relation(source: Origin, current: str, other: str) -> str:
    """Where ``current`` stands against release ``other``: SAME, BEHIND, AHEAD or DIVERGED."""
    if current == other:
        return SAME
    mine, theirs = parse(current), parse(other)
    if mine is not None and theirs is not None:
        return SAME if mine == theirs else BEHIND if mine < theirs else AHEAD
    with source.repository() as repo:
        a, b = _commit(repo, current), _commit(repo, other)
        if a is None or b is None:
            raise OriginError(
                f"{source.label} has no commit {current if a is None else other!r}, so the "
                "project's version cannot be compared with its releases; pass --to VERSION"
            )
        if a == b:
            return SAME

        def ancestor(x: str, y: str) -> bool:
            try:
                git("merge-base", "--is-ancestor", x, y, cwd=repo)
            except GitError:  # exit code 1: not an ancestor
                return False
            return True

        return BEHIND if ancestor(a, b) else AHEAD if ancestor(b, a) else DIVERGED


@dataclass(frozen=True)
class Status:
    """Where a project stands against its template, for ``mlscaffold check``."""

    project: Path
    template: str
    current: str
    latest: str
    state: str = SAME  # SAME, BEHIND, AHEAD or DIVERGED

    @property
    def up_to_date(self) -> bool:
        return self.state != BEHIND


def status(path: Path, answers_file: str | None = None) -> Status:
    """The project's template version (of the template recorded in ``answers_file``), the newest
    one available, and how they compare; a composed template is behind when its bases have newer
    versions its pins allow, too."""
    from ..compose import extends as compose

    project = load(path, answers_file)
    source = of(project)
    latest = newest(source, project.version)
    state = relation(source, project.version, latest)
    current, shown = project.version, latest
    if have := compose.recorded(project.answers):
        bases = compose.newest(source, source.questions_text(latest), have)
        state = BEHIND if state == SAME and bases != have else state
        current, shown = compose.label(current, have), compose.label(latest, bases)
    return Status(project.root, source.label, current, shown, state)


def pending_changes(path: Path, answers_file: str | None = None) -> tuple[str, list[Entry] | None]:
    """A project's template label and its changelog entries from the project's version to the
    newest release (None when the template keeps no changelog)."""
    project = load(path, answers_file)
    source = of(project)
    return source.label, changelog.pending(source, project.version, newest(source, project.version))

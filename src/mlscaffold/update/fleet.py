"""Many generated projects at once: finding them, and where each stands against its template.

A *target* is one template applied to one project: the project's folder and one of its answers
files (a project with several templates has one target per answers file). ``check`` and
``update`` over many targets share the version lookups of each template source
(``origin.shared_lookups``) and renders of the same template version and answers
(``rendercache.shared``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..gitutil import git
from ..project import answers_files, dirty_files, load, locate
from ..sources import origin
from . import rendercache, versions

# The errors a user's project or template can cause; anything else is a bug and propagates.
PROJECT_ERRORS = (ValueError, RuntimeError, OSError)
CONFLICTED, DIRTY, BROKEN = "conflicted", "dirty", "broken"
_ANSWERS_NAME = re.compile(r"^\.copier-answers(\..+)?\.ya?ml$")
# Folders that hold tools' files, never a generated project: not searched by ``discover``.
SKIPPED = frozenset(
    {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", "site-packages"}
    | {
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".cache",
        ".ipynb_checkpoints",
    }
)


@dataclass(frozen=True)
class Target:
    """One template applied to one project: its folder and its answers file (relative)."""

    path: Path
    answers_file: str | None = None  # None: the project's only answers file

    def label(self, several: bool) -> str:
        """The project for a table: its path, and the answers file when it has several."""
        return (
            f"{self.path} [{self.answers_file}]"
            if several and self.answers_file
            else str(self.path)
        )


@dataclass(frozen=True)
class Row:
    """Where one target stands: ``state`` is up to date, behind, ahead, diverged, conflicted,
    dirty or broken; ``version_state`` the version's own (conflicted and dirty projects are
    compared too); ``reason`` says why a project is broken, conflicted or dirty."""

    project: str
    answers_file: str
    template: str = ""
    current: str = ""
    latest: str = ""
    state: str = BROKEN
    version_state: str = ""
    reason: str = ""
    label: str = ""  # the project as a table names it (``Target.label``)

    @property
    def needs_attention(self) -> bool:
        """Behind, broken or conflicted: what makes ``check`` exit 1."""
        return self.version_state == versions.BEHIND or self.state in (BROKEN, CONFLICTED)

    @property
    def shown_state(self) -> str:
        """The state, with its reason."""
        return f"{self.state}: {self.reason}" if self.reason else self.state

    def as_json(self) -> dict[str, str | bool]:
        fields = {k: v for k, v in asdict(self).items() if k != "label"}
        return {**fields, "up_to_date": self.version_state != versions.BEHIND}


def discover(folder: Path) -> list[Target]:
    """Every generated project below ``folder`` (itself included): each folder holding a file
    named like copier's answers files (``.copier-answers.yml``, ``.copier-answers.NAME.yml``),
    one target per such file. Tool folders (``SKIPPED``) and symlinks are not followed."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIPPED)
        here = Path(dirpath)
        for name in sorted(filenames):
            if _ANSWERS_NAME.match(name) and not (here / name).is_symlink():
                found.append(Target(here, name))
    return found


def targets(paths: Iterable[Path], answers_file: str | None = None) -> list[Target]:
    """A target for each answers file of each project in ``paths`` (only ``answers_file`` when
    given). A folder that is no project gives one target, so it is reported as broken."""
    result = []
    for path in paths:
        if answers_file:
            result.append(Target(path, answers_file))
            continue
        try:
            _, root = locate(path)
            names = answers_files(root) if root == path.resolve() else []
        except PROJECT_ERRORS:
            names = []
        result += [Target(path, name) for name in names] if len(names) > 1 else [Target(path)]
    return result


@contextmanager
def shared_work() -> Iterator[rendercache.Cache]:
    """Share version lookups and renders between the targets handled in this block."""
    with origin.shared_lookups(), rendercache.shared() as cache:
        yield cache


def files_of_other_templates(target: Target, found: list[Target]) -> tuple[str, ...]:
    """The files the clean renders of the project's other templates (in ``found``) hold and
    ``target``'s does not: what ``diff`` of ``target`` leaves out."""
    import tempfile

    from .apply import Plan, render_recorded

    def rendered(t: Target, tmp: str) -> set[str]:
        project = load(t.path, t.answers_file)
        plan = Plan(project, origin.of(project), project.version, project.public_answers)
        folder = render_recorded(plan, Path(tmp, t.answers_file or "", project.root.name))
        return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}

    with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
        mine = rendered(target, tmp)
        others = set().union(*(rendered(t, tmp) for t in found if t != target))
    return tuple(sorted(others - mine))


def unmerged_files(root: Path) -> list[str]:
    """Files with unresolved merge conflicts (an update's, left to resolve)."""
    listed = git("diff", "--name-only", "--diff-filter=U", "-z", cwd=root)
    return sorted({name for name in listed.split("\0") if name})


def _listed(files: list[str]) -> str:
    return ", ".join(files[:5]) + (f" and {len(files) - 5} more" if len(files) > 5 else "")


def status(target: Target, label: str) -> Row:
    """Where ``target`` stands against its template; a broken one says why in one line."""
    try:
        project = load(target.path, target.answers_file)
        source = origin.of(project)
        latest = versions.newest(source, project.version)
        relation = versions.relation(source, project.version, latest)
    except PROJECT_ERRORS as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        return Row(str(target.path), target.answers_file or "", reason=reason, label=label)
    row = Row(
        str(target.path),
        project.answers_file,
        source.label,
        project.version,
        latest,
        relation,
        relation,
        label=label,
    )
    if conflicts := unmerged_files(project.root):
        return _with(row, CONFLICTED, f"unresolved conflicts: {_listed(conflicts)}")
    if dirty := dirty_files(project.root):
        return _with(row, DIRTY, f"uncommitted changes: {_listed(dirty)}")
    return row


def _with(row: Row, state: str, reason: str) -> Row:
    return replace(row, state=state, reason=reason)


def check(found: list[Target]) -> list[Row]:
    """A row for each target, sharing the version lookups of each template."""
    with shared_work():
        return [status(t, label) for t, label in zip(found, labels(found), strict=True)]


def labels(found: list[Target]) -> list[str]:
    """How to name each target in a table: the answers file is shown for projects with several."""
    count = Counter(t.path for t in found)
    return [t.label(count[t.path] > 1) for t in found]

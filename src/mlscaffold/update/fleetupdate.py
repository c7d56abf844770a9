"""``update`` over many targets: each updated, refused or restored, never left half-updated.

Before a project's update changes anything, its state is saved: the index (as a tree: the last
commit, or an earlier template's update of the same project in this run), the files git does not
track, and the untracked files ``--force-overwrite`` may replace. When the update fails after it
started changing the project (a task failed, the disk filled, a bug), the project is put back to
exactly that state: the index and working tree reset to the tree, and only the files and folders
the update created removed; the user's untracked and ignored files are never touched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .. import interrupts
from ..gitutil import git
from ..project import ProjectError
from . import apply as upd
from . import guard, relock, versions
from .fleet import PROJECT_ERRORS, Target, labels, shared_work

UPDATED, CONFLICTS, REFUSED, FAILED = "updated", "conflicts", "refused", "failed, restored"
WOULD_UPDATE, UP_TO_DATE = "would update", "up to date"


@dataclass(frozen=True)
class Options:
    """What the user asked of every update (see ``mlscaffold update``)."""

    to: str | None = None
    given: Mapping[str, Any] = field(default_factory=dict)
    defaults: bool = False
    dry_run: bool = False
    trust: bool = False
    force: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happened to one target: ``result`` (UPDATED, CONFLICTS, ...) and the detail."""

    project: str
    template: str = ""
    versions: str = ""
    result: str = REFUSED
    detail: str = ""
    conflicts: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    binary: tuple[str, ...] = ()  # the conflicts without <<<<<<< markers

    @property
    def failed(self) -> bool:
        """Conflicts to resolve, refused or restored: what makes ``update`` exit 1."""
        return self.result in (CONFLICTS, REFUSED, FAILED)


@dataclass(frozen=True)
class Saved:
    """A project's state before its update (see the module's docstring)."""

    root: Path
    tree: str
    others: frozenset[str]
    forced: Mapping[str, bytes]
    subfolder: bool = False  # a project in a subfolder of a larger repository (a monorepo)


def _others(root: Path) -> frozenset[str]:
    """Untracked and ignored entries; a folder git tracks nothing in is one entry (``dir/``)."""
    listed = git("ls-files", "-z", "--others", "--directory", cwd=root)
    return frozenset(name for name in listed.split("\0") if name)


def save(root: Path, force: tuple[str, ...]) -> Saved:
    """The state ``restore`` puts the project back to."""
    forced = {p: (root / p).read_bytes() for p in force if (root / p).is_file()}
    subfolder = bool(git("rev-parse", "--show-prefix", cwd=root))
    return Saved(root, git("write-tree", cwd=root), _others(root), forced, subfolder)


def restore(saved: Saved) -> None:
    """Put the project back to ``saved``, byte for byte, touching no file the user had; a
    Ctrl-C, SIGTERM or SIGHUP meanwhile waits until it is done."""
    root = saved.root
    with interrupts.deferred(), guard.locked(root):
        if saved.subfolder:  # only the project's folder: a reset would reach the whole repository
            git("restore", f"--source={saved.tree}", "--staged", "--worktree", "--", ".", cwd=root)
        else:
            git("reset", "--quiet", "--hard", cwd=root)
            if saved.tree != git("rev-parse", "HEAD^{tree}", cwd=root):
                git("read-tree", "--reset", "-u", saved.tree, cwd=root)
        for name in sorted(_others(root) - saved.others):
            path = root / name.rstrip("/")
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
        for name, data in saved.forced.items():
            (root / name).write_bytes(data)


def _no_prompt(question: Any, default: Any, check: Callable) -> Any:
    raise ProjectError(
        f"the new version asks {question.name!r}: pass --defaults, or --data {question.name}=..."
    )


def update_one(target: Target, label: str, options: Options, staged_ok: bool) -> Outcome:
    """Update one target, reporting instead of raising; restore it if it fails part way."""
    try:
        plan = upd.plan(
            target.path,
            options.to,
            options.given,
            None if options.defaults else _no_prompt,
            options.trust,
            options.force,
            target.answers_file,
            staged_ok,
        )
    except PROJECT_ERRORS as exc:
        return Outcome(label, detail=_one_line(exc))
    moves = f"{plan.current} -> {plan.target}"
    if not plan.needed:
        state = versions.SAME if plan.relation == versions.BEHIND else plan.relation
        return Outcome(label, plan.origin.label, plan.current, state)
    saved = None if options.dry_run else save(plan.project.root, plan.force)
    try:
        result = upd.run(plan, dry_run=options.dry_run, staged_ok=staged_ok)
    except ProjectError as exc:  # refused before anything changed (dirty, locked, in the way)
        return Outcome(label, plan.origin.label, moves, REFUSED, _one_line(exc))
    except (Exception, KeyboardInterrupt) as exc:
        if saved is not None:
            restore(saved)
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Outcome(label, plan.origin.label, moves, FAILED, _one_line(exc))
    changed = tuple(path for _, path in result.changes)
    if result.blocked:
        return Outcome(
            label,
            plan.origin.label,
            moves,
            REFUSED,
            "would replace untracked files: " + " ".join(result.blocked),
        )
    conflicts = (*result.conflicts, *(f"{path} (file/folder)" for path, *_ in result.set_aside))
    what = WOULD_UPDATE if options.dry_run else CONFLICTS if conflicts else UPDATED
    notes = [f"{path}: {aside} holds {whose} file" for path, aside, whose in result.set_aside]
    if result.not_staged:
        notes.append("written, not staged (ignored): " + " ".join(result.not_staged))
    root, trusted = plan.project.root, plan.origin.trusted
    if lock := relock.for_update(root, result, dry_run=options.dry_run, trusted=trusted):
        notes.append(lock.message)
    return Outcome(
        label,
        plan.origin.label,
        moves,
        what,
        "; ".join(notes),
        conflicts,
        changed,
        tuple(result.binary),
    )


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def update_all(
    found: list[Target], options: Options, progress: Callable[[Outcome], None] | None = None
) -> list[Outcome]:
    """Update every target in turn, going on past failures. A project's later templates are
    merged on top of its earlier ones' updates (staged); after conflicts they are refused."""
    outcomes: list[Outcome] = []
    pending: dict[Path, Outcome] = {}  # the last update made in each project in this run
    with shared_work():
        for target, label in zip(found, labels(found), strict=True):
            root = target.path.resolve()
            before = pending.get(root)
            if before is not None and before.result == CONFLICTS:
                outcome = Outcome(
                    label,
                    detail="resolve the conflicts of the project's other template first, "
                    "commit, and update again",
                )
            else:
                staged = before is not None and before.result == UPDATED
                outcome = update_one(target, label, options, staged)
                if staged and outcome.changed:  # report this template's changes only
                    mine = tuple(p for p in outcome.changed if p not in before.changed)
                    outcome = replace(outcome, changed=mine)
            if outcome.result in (UPDATED, CONFLICTS):
                pending[root] = outcome
            outcomes.append(outcome)
            if progress:
                progress(outcome)
    return outcomes

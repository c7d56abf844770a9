"""Bring a generated project to a newer template version, and compare it with its template.

The old version is rendered again from the recorded answers, the new one from the updated answers,
both into temporary folders, and git merges the difference into the project (see ``merge``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import jinjaguard, untrusted
from ..compose import extends as compose
from ..generate import monorepo
from ..generate.render import GenerationError, RenderRequest, copier_render
from ..gitutil import GitError, git
from ..project import Project, load, require_clean
from ..sources import history, origin
from . import copierrules, guard, merge, relock, rendercache, tasks, versions

Prompt = Callable[..., Any] | None


class UpdateError(RuntimeError):
    """The update failed part way; the message says how to get back."""


@dataclass(frozen=True)
class Plan:
    """An update to make: from the recorded version and answers to ``target`` and ``answers``.

    ``config`` is the target version's copier.yml; ``force`` the untracked or ignored paths the
    user lets the update replace; ``relation`` where the recorded version stands (``versions``);
    ``bases`` the templates the target version extends, at the versions to render (``compose``).
    """

    project: Project
    origin: origin.Origin
    target: str
    answers: dict[str, Any]
    config: dict[str, Any] = field(default_factory=dict)
    force: tuple[str, ...] = ()
    relation: str = versions.BEHIND
    bases: tuple[compose.Base, ...] = ()

    @property
    def current(self) -> str:
        return self.project.version

    @property
    def recorded_bases(self) -> tuple[compose.Base, ...]:
        return compose.recorded(self.project.answers)

    @property
    def needed(self) -> bool:
        """Whether the version or any answer changes."""
        recorded = self.project.public_answers
        changed = any(recorded.get(k) != v for k, v in self.answers.items())
        return self.target != self.current or changed or self.bases != self.recorded_bases


@dataclass
class UpdateResult(merge.MergeResult):
    """What an update did (or, in a dry run, would do) beyond the merge itself."""

    blocked: list[str] = field(default_factory=list)  # untracked/ignored files in the way
    not_staged: list[str] = field(default_factory=list)  # new files the project ignores
    left_alone: list[str] = field(
        default_factory=list
    )  # _skip_if_exists files the template changed
    skipped: dict[str, int] = field(default_factory=dict)  # "tasks"/"migrations" not run
    ran: int = 0  # tasks and migrations run in the project
    names_lock: bool | None = None  # dry run: a changed file, as merged, names uv.lock


def target_version(source: origin.Origin, current: str, to: str | None) -> tuple[str, str]:
    """The version to update to and where ``current`` stands against it: ``to`` (which must exist
    and not be older) or the newest release, unless that is not newer (no silent downgrade)."""
    if to is None:
        latest = versions.newest(source, current)
        state = versions.relation(source, current, latest)
        return (latest if state == versions.BEHIND else current), state
    known = source.versions()
    if to not in known:
        raise origin.OriginError(
            f"{source.label} has no version {to!r}; versions: {', '.join(known) or 'none'}"
        )
    try:
        state = versions.relation(source, current, to)
    except origin.OriginError:  # the recorded commit is gone: the user chose the version
        state = versions.DIVERGED
    if state == versions.AHEAD:
        raise origin.OriginError(
            f"{to} is older than the project's version {current}; mlscaffold (like copier) "
            "does not downgrade"
        )
    return to, state


def new_answers(
    project: Project,
    source: origin.Origin,
    version: str,
    given: Mapping[str, Any],
    prompt: Prompt,
    text: str | None = None,
) -> dict[str, Any]:
    """Answers for ``version``: the recorded ones, ``given`` ones, and new questions answered.

    New questions are asked with ``prompt`` (None: their defaults); every answer is validated the
    way ``mlscaffold new`` does it. ``text``: the version's copier.yml, when already read.
    """
    from ..generate.answers import user_defaults, warn_not_asked
    from ..generate.questions import Questionnaire, parse

    questions = parse(text if text is not None else source.questions_text(version))
    names = {q.name for q in questions}
    recorded = {k: v for k, v in project.public_answers.items() if k in names}
    questionnaire = Questionnaire(questions, {**recorded, **given}, user_defaults(project.root))
    with jinjaguard.trusted(source.trusted):
        answers = questionnaire.run(prompt)
    warn_not_asked(questionnaire.not_asked, given)
    return answers


def plan(
    path: Path,
    to: str | None = None,
    given: Mapping[str, Any] | None = None,
    prompt: Prompt = None,
    trust: bool = False,
    force: tuple[str, ...] = (),
    answers_file: str | None = None,
    staged_ok: bool = False,
) -> Plan:
    """Check the project and work out the update of the template recorded in ``answers_file``
    (default: the project's answers file): refuses a project in the middle of a git operation, a
    dirty tree (``staged_ok``: staged changes are fine), broken answers and downgrades."""
    project = load(path, answers_file)
    guard.require_no_operation(project.root)
    require_clean(project.root, staged_ok)
    source = origin.of(project, trust)
    target, state = target_version(source, project.version, to)
    text, bases = compose.target_config(source, target, compose.recorded(project.answers))
    answers = new_answers(project, source, target, given or {}, prompt, text)
    config = untrusted.load(text, f"the copier.yml of {source.label} {target}") or {}
    forced = tuple(sorted({f.removeprefix("./").rstrip("/") for f in force}))
    return Plan(project, source, target, answers, config, forced, state, bases)


def render(
    plan_: Plan,
    version: str,
    answers: Mapping[str, Any],
    dest: Path,
    bases: tuple[compose.Base, ...] = (),
) -> Path:
    """Render the project's template at ``version`` over ``bases`` with ``answers`` into
    ``dest``, running none of its tasks (an update runs them in the project).

    A built-in is rendered from its extracted copy of ``version``, a composed template from its
    composed copy, as ``mlscaffold new`` does it.
    """
    source = plan_.origin
    if source.builtin:
        args = history.render_args(source.builtin, version)
    elif bases:
        args = compose.render_args(source, version, bases, source.src_path)
    else:
        args = {"src_path": source.src_path, "vcs_ref": version}
    name, options = plan_.project.answers_file, {"defaults": True, "skip_tasks": True, **args}

    def produce(folder: Path) -> None:
        request = RenderRequest(data=answers, trust=source.trusted, answers_file=name, **options)
        copier_render(request, folder)

    return rendercache.render(source, version, answers, name, dest, produce, bases)


def render_recorded(plan_: Plan, dest: Path) -> Path:
    """Render the project's recorded version with its recorded answers into ``dest``.

    The render carries the project's own answers file, so an update replaces that file with the
    new render's, whatever machine or mlscaffold release wrote it.
    """
    render(plan_, plan_.current, plan_.project.public_answers, dest, plan_.recorded_bases)
    name = plan_.project.answers_file
    (dest / name).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(plan_.project.root / name, dest / name)
    return dest


def renders(plan_: Plan, tmp: Path) -> tuple[Path, Path, list[str]]:
    """The old and the new render (``render_folder``), with copier's file rules applied; and the
    ``_skip_if_exists`` files left alone."""
    project = plan_.project
    old = render_recorded(plan_, monorepo.render_folder(project, tmp / "old"))
    new_dest = monorepo.render_folder(project, tmp / "new")
    new = render(plan_, plan_.target, plan_.answers, new_dest, plan_.bases)
    kept = copierrules.apply(plan_.config, plan_.answers, project.root, old, new)
    return old, new, kept


def _run_commands(plan_: Plan, stage: str, result: UpdateResult, dry_run: bool) -> None:
    """Run the template's tasks or ``stage`` migrations in the project, when it is trusted."""
    if stage == "tasks":
        found = tasks.tasks(plan_.config)
    else:
        found = tasks.migrations(plan_.config, plan_.current, plan_.target, stage)
    if not found:
        return
    root = plan_.project.root
    conf = {
        "dst_path": str(root),
        "answers_file": plan_.project.answers_file,
        "src_path": plan_.origin.src_path,
        "vcs_ref": plan_.target,
    }
    commands = tasks.due(found, root, plan_.config, {**plan_.answers, "_copier_conf": conf})
    kind = "tasks" if stage == "tasks" else "migrations"
    if commands and (dry_run or not plan_.origin.trusted):
        result.skipped[kind] = result.skipped.get(kind, 0) + len(commands)
    elif commands:
        result.ran += tasks.run(commands)


def _disk_full(exc: BaseException, project: Project, created: list[str]) -> UpdateError:
    files = " ".join(created)
    clean = f" and `git clean -f -- {files}`" if created else ""
    return UpdateError(
        f"the disk is full ({exc}); the update stopped part way: free some space, run "
        f"`{monorepo.undo_command(project)}`{clean} in {project.root} to get back to your last "
        "commit (your work is committed), and update again"
    )


def _merge(plan_: Plan, repo: Path, old: Path, new: Path, dry_run: bool) -> UpdateResult:
    """Snapshot both renders into ``repo``, check nothing untracked is in the way in the project,
    and merge (in ``repo``: the project's folder, or that folder in a throw-away clone in a dry
    run). In a subfolder of a larger repository every path outside it is, in both snapshots, as
    the index has it now, so the merge changes nothing there."""
    name = f"mlscaffold: template {plan_.origin.label}"
    root, prefix = plan_.project.root, plan_.project.prefix
    outside = merge.index_tree(repo) if prefix else None
    base = merge.snapshot(repo, old, f"{name} {plan_.current}", prefix=prefix, outside=outside)
    head = merge.snapshot(repo, new, f"{name} {plan_.target}", base, prefix=prefix, outside=outside)
    paths = merge.touched(repo, base, head)
    blocked = guard.in_the_way(root, paths, plan_.force)
    if blocked and not dry_run:
        guard.refuse_in_the_way(root, blocked)
    result = UpdateResult(blocked=blocked)
    tracked = set(git("ls-files", "-z", cwd=root).split("\0"))
    created = [p for p in paths if p not in tracked and (new / p).exists()]
    try:
        _run_commands(plan_, "before", result, dry_run)
        merged = merge.apply(repo, base, head)
        added = [path for what, path in merged.changes if what == "added"]
        result.not_staged = merge.unstage_ignored(repo, added)
        if result.not_staged:
            merged.changes = merge.staged_changes(repo)
        _run_commands(plan_, "tasks", result, dry_run)
        _run_commands(plan_, "after", result, dry_run)
    except (OSError, GitError) as exc:
        if guard.disk_full(exc) and not dry_run:
            raise _disk_full(exc, plan_.project, created) from exc
        raise
    result.changes, result.conflicts = merged.changes, merged.conflicts
    result.kept, result.left_deleted = merged.kept, merged.left_deleted
    result.set_aside, result.binary = merged.set_aside, merged.binary
    for path in set(plan_.force) & set(merged.left_deleted):  # untracked, and you asked for it
        if not dry_run and (new / path).is_file():
            shutil.copyfile(new / path, root / path)
            result.left_deleted.remove(path)
    return result


def run(plan_: Plan, dry_run: bool = False, staged_ok: bool = False) -> UpdateResult:
    """Apply ``plan_`` to the project (or, with ``dry_run``, to a throw-away clone of it), holding
    the project's update lock; ``staged_ok``: on top of changes staged in the index."""
    if not plan_.needed:
        return UpdateResult()
    root = plan_.project.root
    with guard.locked(root), tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
        guard.require_no_operation(root)  # again, now that no other update can start
        require_clean(root, staged_ok)
        try:
            old, new, kept = renders(plan_, Path(tmp))
        except (OSError, GenerationError) as exc:
            if guard.disk_full(exc):
                raise UpdateError(
                    f"the disk is full ({exc}) while rendering the template; nothing in the "
                    "project changed: free some space and update again"
                ) from exc
            raise
        repo = monorepo.dry_run_clone(plan_.project, Path(tmp, "project")) if dry_run else root
        result = _merge(plan_, repo, old, new, dry_run)
        result.left_alone = kept
        if dry_run:  # the merged files are in the throw-away clone only
            result.names_lock = relock.refers_to_lock(repo, result.changes)
        return result

"""Bring a generated project to a newer template version, and compare it with its template.

The old version is rendered again from the recorded answers, the new one from the updated answers,
both into temporary folders, and git merges the difference into the project (see ``merge``).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import history, merge, origin
from .gitutil import git
from .project import Project, load, require_clean
from .render import ANSWERS_FILE, copier_render

Prompt = Callable[..., Any] | None


@dataclass(frozen=True)
class Plan:
    """An update to make: from the recorded version and answers to ``target`` and ``answers``."""

    project: Project
    origin: origin.Origin
    target: str
    answers: dict[str, Any]

    @property
    def current(self) -> str:
        return self.project.version

    @property
    def needed(self) -> bool:
        """Whether the version or any answer changes."""
        recorded = self.project.public_answers
        changed = any(recorded.get(k) != v for k, v in self.answers.items())
        return self.target != self.current or changed


@dataclass(frozen=True)
class Status:
    """Where a project stands against its template, for ``mlscaffold check``."""

    project: Path
    template: str
    current: str
    latest: str

    @property
    def up_to_date(self) -> bool:
        return not _older(self.current, self.latest)


def _older(version: str, than: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) < Version(than)
    except InvalidVersion:
        return version != than


def status(path: Path) -> Status:
    """The project's template version and the newest one available."""
    project = load(path)
    source = origin.of(project)
    return Status(project.root, source.label, project.version, source.latest())


def target_version(source: origin.Origin, current: str, to: str | None) -> str:
    """The version to update to: ``to`` (which must exist and not be older) or the newest."""
    if to is None:
        return source.latest()
    versions = source.versions()
    if to not in versions:
        raise origin.OriginError(
            f"{source.label} has no version {to!r}; versions: {', '.join(versions) or 'none'}"
        )
    if _older(to, current) and current in versions:
        raise origin.OriginError(f"{to} is older than the project's version {current}")
    return to


def new_answers(
    project: Project,
    source: origin.Origin,
    version: str,
    given: Mapping[str, Any],
    prompt: Prompt,
) -> dict[str, Any]:
    """Answers for ``version``: the recorded ones, ``given`` ones, and new questions answered.

    New questions are asked with ``prompt`` (None: their defaults); every answer is validated the
    way ``mlscaffold new`` does it.
    """
    from .answers import user_defaults
    from .questions import Questionnaire, parse

    questions = parse(source.questions_text(version))
    names = {q.name for q in questions}
    recorded = {k: v for k, v in project.public_answers.items() if k in names}
    questionnaire = Questionnaire(questions, {**recorded, **given}, user_defaults(project.root))
    return questionnaire.run(prompt)


def plan(
    path: Path,
    to: str | None = None,
    given: Mapping[str, Any] | None = None,
    prompt: Prompt = None,
    trust: bool = False,
) -> Plan:
    """Check the project and work out the update: refuses a dirty tree or broken answers."""
    project = load(path)
    require_clean(project.root)
    source = origin.of(project, trust)
    target = target_version(source, project.version, to)
    answers = new_answers(project, source, target, given or {}, prompt)
    return Plan(project, source, target, answers)


def render(plan_: Plan, version: str, answers: Mapping[str, Any], dest: Path) -> Path:
    """Render the project's template at ``version`` with ``answers`` into ``dest``.

    A built-in is rendered from its extracted copy of ``version``, as ``mlscaffold new`` does it.
    """
    source = plan_.origin
    if source.builtin:
        args = history.render_args(source.builtin, version)
    else:
        args = {"src_path": source.src_path, "vcs_ref": version}
    copier_render(dest=dest, data=answers, defaults=True, trust=source.trusted, **args)
    return dest


def render_recorded(plan_: Plan, dest: Path) -> Path:
    """Render the project's recorded version with its recorded answers into ``dest``.

    The render carries the project's own answers file, so an update replaces that file with the
    new render's, whatever machine or mlscaffold release wrote it.
    """
    render(plan_, plan_.current, plan_.project.public_answers, dest)
    shutil.copyfile(plan_.project.root / ANSWERS_FILE, dest / ANSWERS_FILE)
    return dest


def _merge(plan_: Plan, repo: Path, old: Path, new: Path) -> merge.MergeResult:
    name = f"mlscaffold: template {plan_.origin.label}"
    base = merge.snapshot(repo, old, f"{name} {plan_.current}")
    return merge.apply(repo, base, merge.snapshot(repo, new, f"{name} {plan_.target}", base))


def run(plan_: Plan, dry_run: bool = False) -> merge.MergeResult:
    """Apply ``plan_`` to the project (or, with ``dry_run``, to a throw-away clone of it)."""
    if not plan_.needed:
        return merge.MergeResult()
    with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
        old = render_recorded(plan_, Path(tmp, "old"))
        new = render(plan_, plan_.target, plan_.answers, Path(tmp, "new"))
        if not dry_run:
            return _merge(plan_, plan_.project.root, old, new)
        clone = Path(tmp, "project")
        root = plan_.project.root
        git("clone", "--quiet", "--shared", "--no-checkout", "--", str(root), str(clone))
        git("checkout", "--quiet", "--detach", git("rev-parse", "HEAD", cwd=root), cwd=clone)
        return _merge(plan_, clone, old, new)


def diff(path: Path, upstream: bool = False) -> str:
    """The unified diff from a clean render of the project's version and answers to the project
    (what you changed), or with ``upstream`` to the newest version (what an update brings)."""
    project = load(path)
    source = origin.of(project)
    if upstream:
        target = source.latest()
        answers = new_answers(project, source, target, {}, None)
    else:
        target, answers = project.version, project.public_answers
    plan_ = Plan(project, source, target, answers)
    root = project.root
    with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
        base = merge.snapshot(root, render_recorded(plan_, Path(tmp, "old")), "clean render")
        new = render(plan_, target, answers, Path(tmp, "new")) if upstream else root
        return merge.changes_between(root, base, merge.snapshot(root, new, "compared"))

"""``mlscaffold diff``: what you changed since generating, or what an update would bring."""

from __future__ import annotations

import tempfile
from pathlib import Path

from .. import untrusted
from ..compose import extends as compose
from ..generate import monorepo
from ..project import load
from ..sources import origin
from . import merge, versions
from .apply import Plan, new_answers, render_recorded, renders


def diff(
    path: Path, upstream: bool = False, answers_file: str | None = None, exclude: tuple = ()
) -> str:
    """The unified diff from a clean render of the project's version and answers to the project
    (what you changed), or with ``upstream`` to the newest version (what an update brings).

    The renders are stored in a temporary object folder: the project's repository is unchanged.
    ``exclude``: paths left out (another template's files, in a project with several).
    """
    project = load(path, answers_file)
    source = origin.of(project)
    source.questions_text(project.version)  # a template (a copier.yml), not any git repository
    target, answers, config, bases = project.version, project.public_answers, {}, ()
    if upstream:
        target = versions.newest(source, project.version)
        text, bases = compose.target_config(source, target, compose.recorded(project.answers))
        answers = new_answers(project, source, target, {}, None, text)
        config = untrusted.load(text, f"the copier.yml of {source.label} {target}") or {}
    plan_ = Plan(project, source, target, answers, config, bases=bases)
    root, prefix = project.root, project.prefix
    with (
        tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp,
        merge.scratch_objects(root) as env,
    ):
        if upstream:
            old, new, _ = renders(plan_, Path(tmp))
        else:
            old = render_recorded(plan_, monorepo.render_folder(project, Path(tmp, "old")))
            new = root
        base = merge.snapshot(root, old, "clean render", env=env, prefix=prefix)
        compared = merge.snapshot(root, new, "compared", env=env, prefix=prefix)
        return merge.changes_between(root, base, compared, env=env, exclude=exclude)

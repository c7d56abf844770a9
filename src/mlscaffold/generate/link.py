"""Adopt a template in an existing repository (like ``cruft link``): record the template, its
version and the answers in an answers file, and nothing else.

The template is rendered into a temporary folder only to produce that answers file. The next
``mlscaffold update`` renders the recorded version again as the common ancestor, so the
template's later changes are merged into the repository's own files (or left as conflicts), the
files it adds are created, and the files the repository never had stay absent.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .. import answersfile, gitutil, safety
from .render import GenerationError, RenderRequest, checked_answers, copier_render


def check_destination(dest: Path, answers_file: str | None) -> None:
    """Refuse a folder that is no git repository, or that records a template in the answers
    file already."""
    if not dest.is_dir():
        raise GenerationError(f"{dest} is not a folder; `mlscaffold link` adopts an existing one")
    if not gitutil.in_repository(dest):
        raise GenerationError(
            f"{dest} is not a git repository; commit your files first "
            "(`git init && git add -A && git commit -m init`), so an update can merge into them"
        )
    name = answers_file or answersfile.DEFAULT
    if (dest / name).exists():
        raise GenerationError(
            f"{dest / name} exists: a template is linked already; `mlscaffold update` it, or "
            "choose another --answers-file"
        )


def link(
    dest: Path, request: RenderRequest, *, label: str, path_keys: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], str]:
    """Render ``request`` (running none of the template's tasks) into a temporary folder, copy
    only its answers file into ``dest`` and commit that file alone; the recorded answers and the
    file's name (``request.answers_file``, default: the template's own)."""
    dest = dest.resolve()
    with tempfile.TemporaryDirectory(prefix="mlscaffold-link-") as tmp:
        work = Path(tmp) / dest.name  # named like the project, as ``new`` renders it
        copier_render(replace(request, skip_tasks=True), work)
        name = request.answers_file or answersfile.find(work)
        answers = checked_answers(work, name, path_keys)
        if not (work / name).is_file():
            raise GenerationError(f"{label} records no answers file, so it cannot be linked")
        if (dest / name).exists():
            raise GenerationError(f"{dest / name} exists: a template is linked already")
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(work / name, dest / name)
    message = f"Link mlscaffold template {label} {answers.get('_commit', '')}".strip()
    author = (str(answers.get("author_name", "mlscaffold")), "mlscaffold@localhost")
    try:
        gitutil.git(*safety.GIT_UNTRUSTED_PATHS, "add", "--", name, cwd=dest)
        commit = (*gitutil.identity(*author), "commit", "--quiet", "--no-verify", "-m", message)
        gitutil.git("--literal-pathspecs", *commit, "--only", "--", name, cwd=dest)
    except BaseException:
        gitutil.git("rm", "--quiet", "--cached", "--", name, cwd=dest, check=False)
        (dest / name).unlink(missing_ok=True)
        raise
    return answers, name

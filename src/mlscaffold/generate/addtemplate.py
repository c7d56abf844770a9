"""Apply one more template to an existing project, with its own answers file.

The template is rendered into a temporary folder; if any rendered path exists in the project
already, nothing is written. Otherwise the files are copied in and committed: that commit holds
exactly the added files (``git commit --only``), so the user's other changes, staged or not, stay
as they were and uncommitted.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .. import gitutil, safety
from .render import GenerationError, RenderRequest, checked_answers, copier_render


def check_destination(dest: Path, answers_file: str) -> None:
    """Refuse a project folder that is no git repository or already has ``answers_file``."""
    if (dest / answers_file).exists():
        raise GenerationError(
            f"{dest / answers_file} exists: a template is applied with it already; choose "
            "another --answers-file (e.g. .copier-answers.NAME.yml), or `mlscaffold update` it"
        )
    if not gitutil.in_repository(dest):
        raise GenerationError(
            f"{dest} is not empty and not a git repository; a template is added to a project "
            "only in a git repository (`git init && git add -A && git commit -m init` first)"
        )


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _collisions(dest: Path, files: list[str]) -> list[str]:
    """Rendered paths that exist in ``dest`` (or where a file of ``dest`` is a folder above)."""
    found = []
    for name in files:
        parts = Path(name).parts
        for depth in range(1, len(parts) + 1):
            path = dest.joinpath(*parts[:depth])
            if path.is_symlink() or (path.exists() and (depth == len(parts) or path.is_file())):
                found.append(Path(*parts[:depth]).as_posix())
                break
    return sorted(set(found))


def add(
    dest: Path,
    request: RenderRequest,
    *,
    label: str,
    path_keys: frozenset[str] = frozenset(),
    before_commit: Callable[[Path], None] | None = None,
) -> tuple[dict[str, Any], list[str]]:
    """Render ``request`` (recording its ``answers_file``) into the project ``dest``, add its
    files and commit them; the recorded answers and the added files. Refuses (GenerationError,
    nothing written) when a rendered file would overwrite one of the project's.
    ``before_commit`` is called with the render's folder before its files are copied (as by
    ``render.generate``: e.g. to write the lock file, then added and committed with them)."""
    dest = dest.resolve()
    with tempfile.TemporaryDirectory(prefix="mlscaffold-add-") as tmp:
        work = Path(tmp) / dest.name  # named like the project, as ``new`` renders it
        copier_render(request, work)
        answers = checked_answers(work, request.answers_file, path_keys)
        _refuse_collisions(dest, _files(work), label)
        if before_commit is not None:
            before_commit(work)
        files = _files(work)
        _refuse_collisions(dest, files, label)  # what ``before_commit`` wrote, e.g. uv.lock
        try:
            for name in files:
                (dest / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(work / name, dest / name, follow_symlinks=False)
            message = f"Add mlscaffold template {label} {answers.get('_commit', '')}".strip()
            author = (answers.get("author_name", "mlscaffold"), answers.get("author_email", ""))
            _commit(
                dest, files, message, (str(author[0]), str(author[1] or "mlscaffold@localhost"))
            )
        except BaseException:
            _take_back(dest, files)
            raise
    return answers, files


def _refuse_collisions(dest: Path, files: list[str], label: str) -> None:
    """Refuse (GenerationError) when one of ``files`` would overwrite a path of ``dest``."""
    if clash := _collisions(dest, files):
        shown = ", ".join(clash[:10]) + (f" and {len(clash) - 10} more" * (len(clash) > 10))
        raise GenerationError(
            f"refused: {label} would overwrite files in {dest}: {shown}; nothing was written"
        )


def _commit(dest: Path, files: list[str], message: str, author: tuple[str, str]) -> None:
    gitutil.git(*safety.GIT_UNTRUSTED_PATHS, "add", "--", *files, cwd=dest)
    commit = (*gitutil.identity(*author), "commit", "--quiet", "--no-verify", "-m", message)
    gitutil.git("--literal-pathspecs", *commit, "--only", "--", *files, cwd=dest)


def _take_back(dest: Path, files: list[str]) -> None:
    """Undo a partial ``add``: unstage and delete the added files (they did not exist before)."""
    untrack = ("rm", "--quiet", "--cached", "--ignore-unmatch", "--", *files)
    gitutil.git(*safety.GIT_UNTRUSTED_PATHS, *untrack, cwd=dest, check=False)
    for name in files:
        (dest / name).unlink(missing_ok=True)

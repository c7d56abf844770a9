"""Render a template into a new project: atomically, as a git repository with one commit (or,
inside another repository, as files staged there: ``monorepo``)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import answersfile, gitutil, safety
from ..validation import check_answers
from .questions import AnswersError

ANSWERS_FILE = answersfile.DEFAULT


class GenerationError(RuntimeError):
    """The project could not be generated; nothing was left behind."""


def check_destination(dest: Path) -> None:
    """Refuse a destination that exists and is not an empty folder."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise GenerationError(f"{dest} already exists and is not empty; choose a new folder")


def copier_render(
    src_path: str,
    dest: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool,
    trust: bool,
    user_defaults: Mapping[str, Any] | None = None,
    vcs_ref: str | None = None,
    record_as: tuple[str, str | None] | None = None,
    record_extra: Mapping[str, Any] | None = None,
    skip_tasks: bool = False,
    answers_file: str | None = None,
) -> None:
    """Render ``src_path`` at ``vcs_ref`` into ``dest``; copier's errors become one line.

    Unless ``trust``, a render holding a ``.git`` path or a symlink leading out of ``dest`` is
    refused (``safety.check_render``). ``record_as`` (source, version) is written to the answers
    file in place of ``src_path`` (with the settings ``record_extra``, e.g. a composed template's
    ``_bases``); ``skip_tasks``: run none of the template's ``_tasks`` (an update runs them in the
    project); ``answers_file``: where to record the answers (default: the template's
    ``_answers_file``).
    """
    from . import copierimport, copierrun

    copierimport.load()
    if not defaults:  # copier may ask what mlscaffold cannot
        copierimport.allow_prompts()
    from copier.errors import CopierError
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError
    from plumbum import CommandNotFound, ProcessExecutionError

    try:
        copierrun.copy(
            src_path,
            dest,
            data=dict(data),
            user_defaults=dict(user_defaults or {}),
            defaults=defaults,
            unsafe=trust,
            vcs_ref=vcs_ref,
            quiet=True,
            overwrite=True,
            skip_tasks=skip_tasks,
            answers_file=answers_file,
        )
    except ProcessExecutionError as exc:
        detail = (exc.stderr or str(exc)).strip().splitlines()
        reason = detail[-1] if detail else exc
        raise GenerationError(f"cannot fetch template {src_path}: {reason}") from exc
    except CommandNotFound as exc:
        raise GenerationError(f"{exc.program} is not installed; install it and try again") from exc
    except SecurityError as exc:
        raise GenerationError(
            f"refused to render {src_path}: {exc} (templates render in Jinja's sandbox, which "
            "keeps them from reaching Python itself; nothing was written)"
        ) from exc
    except TemplateError as exc:
        raise GenerationError(f"cannot render {src_path}: {' '.join(str(exc).split())}") from exc
    except (CopierError, ValueError, OSError) as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise GenerationError(" ".join(line.strip() for line in lines[:3])) from exc
    safety.check_render(dest, trust)
    if record_as:
        record_source(
            dest, *record_as, extra=record_extra, answers_file=answers_file or ANSWERS_FILE
        )


def read_answers(project: Path, name: str | None = None) -> dict[str, Any]:
    """The answers recorded in a project's answers file ``name`` (default: the one it has;
    empty when there is none)."""
    import yaml

    path = project / (name or answersfile.find(project))
    return (yaml.safe_load(path.read_text("utf-8")) or {}) if path.is_file() else {}


def checked_answers(
    project: Path, name: str | None, path_keys: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The answers recorded in a fresh render, checked like answers given to ``new``."""
    answers = read_answers(project, name)
    public = {k: v for k, v in answers.items() if not k.startswith("_")}
    if problems := check_answers(public, path_keys):
        raise AnswersError(problems)
    return answers


def record_source(
    project: Path,
    src_path: str,
    commit: str | None,
    extra: Mapping[str, Any] | None = None,
    answers_file: str = ANSWERS_FILE,
) -> None:
    """Record ``src_path`` at version ``commit`` (None: unversioned) as the project's template in
    its answers file, with the settings in ``extra``.

    Built-in (and composed) templates are rendered from a plain copy of one version; the answers
    file must name the template's history instead, as copier would had it cloned it itself.
    """
    import yaml

    path = project / answers_file
    recorded = {"_commit": commit, "_src_path": src_path, **(extra or {})}
    lines = [
        line
        for line in path.read_text("utf-8").splitlines()
        if not line.startswith(("_src_path:", "_commit:"))
    ]
    first_answer = next((i for i, line in enumerate(lines) if not line.startswith("#")), len(lines))
    settings = {k: v for k, v in recorded.items() if v is not None}
    lines[first_answer:first_answer] = yaml.safe_dump(settings, sort_keys=False).splitlines()
    path.write_text("\n".join(lines) + "\n", "utf-8")


def generate(
    src_path: str,
    dest: Path,
    data: Mapping[str, Any],
    *,
    defaults: bool,
    trust: bool,
    user_defaults: Mapping[str, Any] | None = None,
    path_keys: frozenset[str] = frozenset(),
    vcs_ref: str | None = None,
    label: str | None = None,
    record_as: tuple[str, str | None] | None = None,
    record_extra: Mapping[str, Any] | None = None,
    answers_file: str | None = None,
    own_repo: bool = True,
) -> dict[str, Any]:
    """Render the template into ``dest`` and commit it; return the recorded answers.

    The project is rendered into a folder named like ``dest`` (so ``_folder_name`` and
    ``_copier_conf.dst_path`` render as the project's folder) inside a temporary folder next to
    ``dest``, and moved into place only when complete, so a failure or Ctrl-C leaves nothing
    behind. ``record_as``, ``answers_file``: see ``copier_render``. Without ``own_repo`` the
    project is made no git repository (``monorepo.stage`` adds it to the one it lies in).
    """
    dest = dest.resolve()
    check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=".mlscaffold", dir=dest.parent))
    work = scratch / dest.name
    try:
        work.mkdir()
        copier_render(
            src_path,
            work,
            data,
            defaults=defaults,
            trust=trust,
            user_defaults=user_defaults,
            vcs_ref=vcs_ref,
            record_as=record_as,
            record_extra=record_extra,
            answers_file=answers_file,
        )
        answers = checked_answers(work, answers_file, path_keys)
        if own_repo:
            gitutil.git(*safety.GIT_UNTRUSTED_TREE, "init", "--quiet", "-b", "main", cwd=work)
            version = answers.get("_commit", "unversioned")
            gitutil.commit_all(
                work,
                f"Generate from mlscaffold template {label or src_path} {version}",
                str(answers.get("author_name", "mlscaffold")),
                str(answers.get("author_email", "mlscaffold@localhost")),
            )
        if dest.exists():
            dest.rmdir()
        work.rename(dest)
        scratch.rmdir()
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return answers

"""Render a template into a new project: atomically, as a git repository with one commit (or,
inside another repository, as files staged there: ``monorepo``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import answersfile, gitutil, jinjaguard, safety, scratch, untrusted
from ..validation import check_answers
from .questions import AnswersError

ANSWERS_FILE = answersfile.DEFAULT


class GenerationError(RuntimeError):
    """The project could not be generated; nothing was left behind."""


def check_destination(dest: Path) -> None:
    """Refuse a destination that exists and is not an empty folder."""
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise GenerationError(f"{dest} already exists and is not empty; choose a new folder")


@dataclass(frozen=True)
class RenderRequest:
    """One render by copier: which template, with which answers, and what the project records.

    ``src_path`` at ``vcs_ref`` is rendered with the answers ``data``; the questions left are
    answered from ``user_defaults`` and the template's defaults when ``defaults``, and asked
    otherwise. Unless ``trust``, the template runs no tasks or Jinja extensions, and a render
    holding a ``.git`` path or a symlink leading out of the project is refused
    (``safety.check_render``); ``skip_tasks``: run none of the template's ``_tasks`` even so (an
    update runs them in the project). ``record_as`` (source, version) is written to the answers
    file in place of ``src_path``, with the settings ``record_extra`` (e.g. a composed
    template's ``_bases``); ``answers_file``: where to record the answers (default: the
    template's ``_answers_file``).
    """

    src_path: str
    data: Mapping[str, Any]
    defaults: bool
    trust: bool
    user_defaults: Mapping[str, Any] = field(default_factory=dict)
    vcs_ref: str | None = None
    record_as: tuple[str, str | None] | None = None
    record_extra: Mapping[str, Any] | None = None
    skip_tasks: bool = False
    answers_file: str | None = None


def copier_render(request: RenderRequest, dest: Path) -> None:
    """Render ``request`` into ``dest``; copier's errors become one line (GenerationError)."""
    from . import copierimport, copierrun

    copierimport.load()
    if not request.defaults:  # copier may ask what mlscaffold cannot
        copierimport.allow_prompts()
    from copier.errors import CopierError
    from jinja2 import TemplateError
    from jinja2.exceptions import SecurityError
    from plumbum import CommandNotFound, ProcessExecutionError

    src_path = request.src_path
    if not request.trust:
        safety.check_template_source(src_path, request.vcs_ref)
    try:
        with jinjaguard.trusted(request.trust):
            copierrun.copy(
                src_path,
                dest,
                data=dict(request.data),
                user_defaults=dict(request.user_defaults or {}),
                defaults=request.defaults,
                unsafe=request.trust,
                vcs_ref=request.vcs_ref,
                quiet=True,
                overwrite=True,
                skip_tasks=request.skip_tasks,
                answers_file=request.answers_file,
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
    for warning in safety.check_render(dest, request.trust):
        import click

        click.secho(f"Warning: {warning}", fg="yellow", err=True)
    if request.record_as:
        record_source(
            dest,
            *request.record_as,
            extra=request.record_extra,
            answers_file=request.answers_file or ANSWERS_FILE,
        )


def read_answers(project: Path, name: str | None = None) -> dict[str, Any]:
    """The answers recorded in a project's answers file ``name`` (default: the one it has;
    empty when there is none)."""
    name = name or answersfile.find(project)
    return untrusted.answers(project / name, name) if (project / name).is_file() else {}


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
    request: RenderRequest,
    dest: Path,
    *,
    label: str | None = None,
    path_keys: frozenset[str] = frozenset(),
    own_repo: bool = True,
    before_commit: Callable[[Path], None] | None = None,
) -> dict[str, Any]:
    """Render ``request`` into ``dest`` and commit it; return the recorded answers, checked like
    answers given to ``new`` (``path_keys``: the answers used in file names).

    The project is rendered into a folder named like ``dest`` (so ``_folder_name`` and
    ``_copier_conf.dst_path`` render as the project's folder) inside a temporary folder next to
    ``dest``, and moved into place only when complete, so a failure or Ctrl-C leaves nothing
    behind. The commit names the template ``label`` (default: its ``src_path``). Without
    ``own_repo`` the project is made no git repository (``monorepo.stage`` adds it to the one it
    lies in). ``before_commit`` is called with the complete render's folder before it is
    committed (or moved into place): e.g. to write the project's lock file (``lockfile``).
    """
    dest = dest.resolve()
    check_destination(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with scratch.folder(dest) as folder:
        work = folder / dest.name
        work.mkdir()
        copier_render(request, work)
        answers = checked_answers(work, request.answers_file, path_keys)
        if before_commit is not None:
            before_commit(work)
        if own_repo:
            gitutil.git(*safety.GIT_UNTRUSTED_TREE, "init", "--quiet", "-b", "main", cwd=work)
            version = answers.get("_commit", "unversioned")
            gitutil.commit_all(
                work,
                f"Generate from mlscaffold template {label or request.src_path} {version}",
                str(answers.get("author_name", "mlscaffold")),
                str(answers.get("author_email", "mlscaffold@localhost")),
            )
        if dest.exists():
            dest.rmdir()
        work.rename(dest)
    return answers

"""``mlscaffold new``: generate a project from a template."""

from __future__ import annotations

import shlex
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .errors import friendly_errors

if TYPE_CHECKING:
    from ..generate.render import RenderRequest
    from ..sources.catalog import TemplateSource


@click.command()
@click.argument("template")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--defaults", is_flag=True, help="Ask nothing: use defaults for unanswered questions."
)
@click.option("-d", "--data", multiple=True, metavar="KEY=VALUE", help="An answer (repeatable).")
@click.option(
    "--data-file", type=click.Path(dir_okay=False, path_type=Path), help="A YAML file of answers."
)
@click.option(
    "--trust",
    is_flag=True,
    help="Let a template from outside run tasks and Jinja extensions, and render .git paths and "
    "symlinks leading outside the project.",
)
@click.option("--vcs-ref", metavar="VERSION", help="Template version to use (default: newest).")
@click.option(
    "--answers-file",
    metavar="FILE",
    help="Record the answers in FILE (e.g. .copier-answers.ci.yml); with a new FILE, DEST may be "
    "an existing project: the template's files are added to it.",
)
@click.option(
    "--own-repo",
    is_flag=True,
    help="Inside another git repository: make DEST a repository of its own (with one commit) "
    "instead of staging its files in the enclosing one.",
)
@click.option(
    "--lock/--no-lock",
    default=None,
    help="Write uv.lock with `uv lock`, which contacts the package index (default: on; "
    "`mlscaffold config set settings.lock false` turns it off).",
)
@friendly_errors
def new(
    template: str,
    dest: Path,
    defaults: bool,
    data: tuple[str, ...],
    data_file: Path | None,
    trust: bool,
    vcs_ref: str | None,
    answers_file: str | None,
    own_repo: bool,
    lock: bool | None,
) -> None:
    """Generate a project in DEST from TEMPLATE.

    TEMPLATE is a built-in template (see `mlscaffold list`), an alias registered with
    `mlscaffold template add`, a template folder, or a git URL. DEST becomes a git repository
    with one commit; inside another repository its files are staged there instead (nothing is
    committed), unless --own-repo. With --answers-file naming a new file, DEST may be an existing
    git project: the template's files are added and committed (only them), and nothing is written
    if one of them exists already. A Python project gets a lock file, uv.lock (`uv lock`),
    before its first commit.
    """
    from .. import config
    from ..generate import answers as ans
    from ..generate.prepare import prepare
    from ..sources import catalog

    given = ans.given_answers(data_file, data)
    source = prepare(catalog.resolve(template, vcs_ref), vcs_ref)
    settings = {"defaults": defaults, "trust": trust, "vcs_ref": vcs_ref}
    lock = config.lock_enabled() if lock is None else lock
    if answers_file is not None and dest.is_dir() and any(dest.iterdir()):
        _add_to_project(source, dest, given, answers_file, lock=lock, **settings)
    else:
        _generate(source, dest, given, answers_file, own_repo=own_repo, lock=lock, **settings)


def _request(
    source: TemplateSource,
    dest: Path,
    given: dict[str, Any],
    answers_file: str | None,
    *,
    defaults: bool,
    trust: bool,
    vcs_ref: str | None,
) -> RenderRequest:
    """Ask ``source``'s questions (those ``given`` leaves open) and say what to render."""
    from ..generate import answers as ans
    from ..generate.render import RenderRequest

    trust = trust or source.trusted
    given, user_defaults = ans.answer_template(source, given, dest, defaults=defaults, trust=trust)
    return RenderRequest(
        data=given,
        defaults=defaults,
        trust=trust,
        user_defaults=user_defaults,
        answers_file=answers_file,
        **source.render_args(vcs_ref),
    )


def _add_to_project(
    source: TemplateSource,
    dest: Path,
    given: dict[str, Any],
    answers_file: str,
    *,
    lock: bool,
    **settings: Any,
) -> None:
    """Add the template's files to the existing project ``dest``, committing only them (with
    their lock file when ``lock``)."""
    from ..generate import addtemplate
    from .locking import lock_new

    addtemplate.check_destination(dest, answers_file)
    request = _request(source, dest, given, answers_file, **settings)
    locking = partial(lock_new, trusted=request.trust) if lock else None
    try:
        answers, files = addtemplate.add(dest, request, before_commit=locking, **_labels(source))
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; nothing was written") from None
    version = answers.get("_commit", "")
    click.secho(f"Added {source.name} {version} to {dest}", fg="green", bold=True)
    more = f" and {len(files) - 8} more" if len(files) > 8 else ""
    click.echo(f"  {len(files)} files, committed (only them): {' '.join(files[:8])}{more}")


def _generate(
    source: TemplateSource,
    dest: Path,
    given: dict[str, Any],
    answers_file: str | None,
    *,
    own_repo: bool,
    lock: bool,
    **settings: Any,
) -> None:
    """Generate the new project ``dest``: a repository of its own, or staged in the enclosing
    one (a monorepo) unless ``own_repo``; with its lock file when ``lock``."""
    from ..generate import monorepo, render
    from .locking import lock_new

    render.check_destination(dest)
    request = _request(source, dest, given, answers_file, **settings)
    repo = None if own_repo else monorepo.enclosing_repository(dest)
    existed = dest.exists()
    try:
        answers = render.generate(
            request,
            dest,
            own_repo=repo is None,
            before_commit=partial(lock_new, trusted=request.trust) if lock else None,
            **_labels(source),
        )
        if repo is not None:
            monorepo.stage(repo, dest, existed)
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; nothing was written") from None
    for note in source.notes:
        click.secho(f"Note: {note}", fg="yellow")
    _print_next_steps(source.name, dest, answers, source.local_dir)
    if repo is not None:
        _print_staged(source.name, repo, dest, answers)


def _labels(source: TemplateSource) -> dict[str, Any]:
    """How the render names the template in errors, and which answers are paths."""
    return {"label": source.name, "path_keys": source.path_keys}


def _print_staged(template: str, repo: Path, dest: Path, answers: dict) -> None:
    rel = shlex.quote(dest.resolve().relative_to(repo).as_posix())
    message = shlex.quote(
        f"Add {template} {answers.get('_commit', '')}".rstrip() + " from mlscaffold"
    )
    click.echo(
        f"\nThe files are staged in the repository {repo}, not committed (no repository of its "
        "own: --own-repo makes one). Review them and commit them alone, before the first "
        f"`mlscaffold update`:\n  git diff --cached -- {rel}\n  git commit -m {message} -- {rel}"
    )


def _print_next_steps(template: str, dest: Path, answers: dict, template_dir: Path | None) -> None:
    from ..generate.nextsteps import NextStepsError, steps

    version = answers.get("_commit", "")
    click.secho(f"Created {dest} from {template} {version}".rstrip(), fg="green", bold=True)
    entries = sorted(
        p.name + ("/" if p.is_dir() else "") for p in dest.iterdir() if p.name != ".git"
    )
    click.echo("  " + "  ".join(entries))
    if not version:
        click.secho(
            "Warning: the template is not a git repository with a tag, so `mlscaffold update` "
            "cannot update this project; tag releases of your template (git tag 0.1.0).",
            fg="yellow",
        )
    try:
        own = steps(template_dir, answers)
    except NextStepsError as exc:
        click.secho(f"Warning: the template's next steps cannot be shown: {exc}", fg="yellow")
        own = []
    cd = f"cd {shlex.quote(str(dest))}"
    lines = [cd, *own] if own else [f"{cd}    # README.md says how to run it"]
    click.echo("\nNext steps:\n" + "\n".join(f"  {line}" for line in lines))
    click.echo("Later, `mlscaffold update` brings in template improvements and keeps your edits.")

"""``mlscaffold new``: generate a project from a template."""

from __future__ import annotations

import shlex
from pathlib import Path

import click

from .errors import friendly_errors


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
@friendly_errors
def new(
    template: str,
    dest: Path,
    defaults: bool,
    data: tuple[str, ...],
    data_file: Path | None,
    trust: bool,
    vcs_ref: str | None,
) -> None:
    """Generate a project in DEST from TEMPLATE.

    TEMPLATE is a built-in template (see `mlscaffold list`), an alias registered with
    `mlscaffold template add`, a template folder, or a git URL.
    """
    from .. import answers as ans
    from .. import catalog, render
    from ..prepare import prepare
    from ..questions import Questionnaire, parse

    given = ans.given_answers(data_file, data)
    source = prepare(catalog.resolve(template, vcs_ref), vcs_ref)
    render.check_destination(dest)
    user_defaults = ans.user_defaults(dest)
    questions_text = source.questions_text()
    if questions_text is not None:
        questionnaire = Questionnaire(parse(questions_text), given, user_defaults, source.path_keys)
        given = questionnaire.run(None if defaults else ans.prompt)
        user_defaults = {}
    try:
        answers = render.generate(
            dest=dest,
            data=given,
            user_defaults=user_defaults,
            defaults=defaults,
            trust=trust or source.trusted,
            path_keys=source.path_keys,
            label=source.name,
            **source.render_args(vcs_ref),
        )
    except KeyboardInterrupt:
        raise click.ClickException("interrupted; nothing was written") from None
    for note in source.notes:
        click.secho(f"Note: {note}", fg="yellow")
    _print_next_steps(source.name, dest, answers, source.local_dir)


def _print_next_steps(template: str, dest: Path, answers: dict, template_dir: Path | None) -> None:
    from ..nextsteps import NextStepsError, steps

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

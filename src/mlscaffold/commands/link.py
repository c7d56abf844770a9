"""``mlscaffold link``: adopt a template in an existing repository."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import friendly_errors


@click.command()
@click.argument("template")
@click.argument("dest", default=".", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option("--vcs-ref", metavar="VERSION", help="Template version your files match best.")
@click.option(
    "--defaults", is_flag=True, help="Ask nothing: use defaults for unanswered questions."
)
@click.option("-d", "--data", multiple=True, metavar="KEY=VALUE", help="An answer (repeatable).")
@click.option(
    "--data-file", type=click.Path(dir_okay=False, path_type=Path), help="A YAML file of answers."
)
@click.option("--answers-file", metavar="FILE", help="Record the answers in FILE.")
@click.option("--trust", is_flag=True, help="Let a template from outside use its Jinja extensions.")
@friendly_errors
def link(
    template: str,
    dest: Path,
    vcs_ref: str | None,
    defaults: bool,
    data: tuple[str, ...],
    data_file: Path | None,
    answers_file: str | None,
    trust: bool,
) -> None:
    """Link the existing repository DEST (default: here) to TEMPLATE, writing only its answers
    file (committed alone); no other file is touched.

    The next `mlscaffold update` merges what the template changed after that version into your
    own files (or leaves conflicts), and adds the files it gained; files of the template you do
    not have stay absent. Pick with --vcs-ref the version your files are closest to (default:
    the newest, so only later releases are merged).
    """
    from ..generate import answers as ans
    from ..generate import link as linking
    from ..generate.prepare import prepare
    from ..generate.render import RenderRequest
    from ..sources import catalog

    linking.check_destination(dest, answers_file)
    source = prepare(catalog.resolve(template, vcs_ref), vcs_ref)
    trust = trust or source.trusted
    given, user_defaults = ans.answer_template(
        source, ans.given_answers(data_file, data), dest, defaults=defaults, trust=trust
    )
    request = RenderRequest(
        data=given,
        defaults=defaults,
        trust=trust,
        user_defaults=user_defaults,
        answers_file=answers_file,
        **source.render_args(vcs_ref),
    )
    answers, name = linking.link(dest, request, label=source.name, path_keys=source.path_keys)
    version = answers.get("_commit") or "an unversioned copy"
    click.secho(f"Linked {dest} to {source.name} {version}", fg="green", bold=True)
    click.echo(
        f"  wrote and committed only {name}; `mlscaffold update` brings in the template's later "
        "changes"
    )

"""``mlscaffold changelog``: what each version of a template changed."""

from __future__ import annotations

import click

from .errors import friendly_errors


@click.command("changelog")
@click.argument("template")
@click.option("--from", "since", metavar="VERSION", help="Only the versions after VERSION.")
@click.option("--to", "upto", metavar="VERSION", help="Only the versions up to VERSION.")
@friendly_errors
def changelog(template: str, since: str | None, upto: str | None) -> None:
    """Print the changelog of TEMPLATE, newest version first.

    TEMPLATE is a built-in template, an alias, a template folder or a git URL; a template from
    outside has a changelog when it keeps a CHANGELOG.md next to its copier.yml (one `## VERSION`
    section a version, the first line of each its summary).
    """
    from ..sources import changelog as log

    source, version = log.of_template(template, upto)
    entries = log.read(source, version)
    if entries is None:
        raise click.ClickException(f"{source.label} {version} has no {log.FILE}")
    shown = log.between(entries, since, upto)
    if not shown:
        span = f" after {since}" if since else ""
        click.echo(f"{source.label}: no released version{span} in its {log.FILE}")
    for entry in shown:
        click.echo(f"## {entry.version}\n\n{entry.text}\n")

"""``mlscaffold list``: the templates a user can generate from."""

from __future__ import annotations

import json

import click

from .errors import friendly_errors


@click.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@friendly_errors
def list_templates(as_json: bool) -> None:
    """List the built-in templates and the ones you registered."""
    from ..sources.catalog import available

    rows = available()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(row["name"]) for row in rows), default=4)
    for row in rows:
        about = row["description"] if row["source"] == "built-in" else row["source"]
        click.echo(f"{row['name']:<{width}}  {row['version'] or '-':<7}  {about}")

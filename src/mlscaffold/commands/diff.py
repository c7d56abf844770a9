"""``mlscaffold diff``: what you changed in a generated project, or what an update brings."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import friendly_errors


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--upstream", is_flag=True, help="Show what the next update brings instead of your changes."
)
@friendly_errors
def diff(path: Path, upstream: bool) -> None:
    """Unified diff of the project at PATH against a clean render of its template version."""
    from ..update import diff as changes

    text = changes(path, upstream=upstream)
    if text:
        click.echo(text)

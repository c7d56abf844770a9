"""``mlscaffold check``: is a generated project on its template's newest version?"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import friendly_errors


@click.command()
@click.argument("path", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@friendly_errors
def check(path: Path, as_json: bool) -> None:
    """Exit 0 if the project at PATH is on its template's newest version (or ahead of it: on a
    pre-release or an unreleased commit), 1 if it is behind."""
    from ..versions import parse, status

    state = status(path)
    if as_json:
        row = {
            "project": str(state.project),
            "template": state.template,
            "current": state.current,
            "latest": state.latest,
            "state": state.state,
            "up_to_date": state.up_to_date,
        }
        click.echo(json.dumps(row, indent=2))
    elif state.state in ("ahead", "diverged"):
        click.echo(
            f"{state.project}: {state.state} of the newest release ({state.template} "
            f"{state.current}, newest release {state.latest}); nothing to update to"
        )
    elif state.up_to_date:
        version = parse(state.current)
        note = ", a pre-release" if version and version.is_prerelease else ""
        click.echo(f"{state.project}: up to date ({state.template} {state.current}{note})")
    else:
        click.echo(
            f"{state.project}: behind ({state.template} {state.current}, newest {state.latest});"
            " run `mlscaffold update`"
        )
    if not state.up_to_date:
        sys.exit(1)

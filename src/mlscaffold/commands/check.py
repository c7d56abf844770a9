"""``mlscaffold check``: is a generated project on its template's newest version?"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import friendly_errors
from .many import counted, pick, project_options, table

if TYPE_CHECKING:
    from ..update.fleet import Target


@click.command()
@project_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@friendly_errors
def check(
    paths: tuple[Path, ...], search: Path | None, answers_file: str | None, as_json: bool
) -> None:
    """Exit 0 if the project at PATH is on its template's newest version (or ahead of it: on a
    pre-release or an unreleased commit), 1 if it is behind.

    With several projects (or templates), or --all DIR: one table, and exit 1 if any is behind,
    broken (cannot be checked) or conflicted (an update's conflicts are unresolved).
    """
    found = pick(paths, search, answers_file)
    if len(found) > 1 or search:
        _check_many(found, as_json)
    else:
        _check_one(found[0].path, found[0].answers_file, as_json)


def _check_many(found: list[Target], as_json: bool) -> None:
    from ..update.fleet import check as check_all

    rows = check_all(found)
    if as_json:
        click.echo(json.dumps([row.as_json() for row in rows], indent=2))
    else:
        cells = [(r.label, r.template, r.current, r.latest, r.shown_state) for r in rows]
        click.echo(table(("project", "template", "current", "newest", "state"), cells))
        click.echo(counted(len(rows), "checked", [row.state for row in rows]))
    if any(row.needs_attention for row in rows):
        sys.exit(1)


def _check_one(path: Path, answers_file: str | None, as_json: bool) -> None:
    from ..sources.origin import parse_version as parse
    from ..update.versions import status

    state = status(path, answers_file)
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
        _print_changes(path, answers_file)
    if not state.up_to_date:
        sys.exit(1)


def _print_changes(path: Path, answers_file: str | None) -> None:
    """The one-line summaries of the versions the project is behind by."""
    from ..sources.changelog import summary_lines
    from ..update.versions import pending_changes

    label, entries = pending_changes(path, answers_file)
    for line in summary_lines(entries, label):
        click.echo(f"  {line}")

"""``mlscaffold template``: export a built-in template to customize it, register your own."""

from __future__ import annotations

from pathlib import Path

import click

from .errors import friendly_errors


@click.group()
def template() -> None:
    """Customize templates: export a built-in one, register your own."""


@template.command()
@click.argument("name")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@friendly_errors
def export(name: str, dest: Path) -> None:
    """Write built-in template NAME into DEST as a git repository with its release history.

    Run it again in DEST, or in any clone of it (a colleague's), to fetch a newer NAME."""
    from ..sources.customize import CREATED, FETCHED, REMOTE
    from ..sources.customize import export as export_template

    done = export_template(name, dest)
    if done != CREATED:
        pointed = "" if done == FETCHED else f"Pointed remote '{REMOTE}' at this machine's {name}. "
        merge = f"git merge {REMOTE}/main"
        click.echo(f"{pointed}Fetched the newest {name} as {REMOTE}/main; merge it: {merge}")
        return
    click.echo(
        f"Exported {name} to {dest}: versions are git tags; remote '{REMOTE}' is mlscaffold's.\n"
        "Edit, commit and tag versions of your own above upstream's (e.g. 0.1.0+mine.1), then:\n"
        f"  mlscaffold new {dest} my-project   # generate from your copy\n"
        "  mlscaffold update my-project   # bring a project to your newest tag\n"
        f"After upgrading mlscaffold, run this command again and `git merge {REMOTE}/main`."
    )


@template.command()
@click.argument("alias")
@click.argument("source")
@friendly_errors
def add(alias: str, source: str) -> None:
    """Register SOURCE (a template folder or git URL) as ALIAS for `mlscaffold new ALIAS`."""
    from ..sources.customize import add as add_template

    click.echo(f"{alias} -> {add_template(alias, source)}")

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
@click.option(
    "--answers-file",
    metavar="FILE",
    help="Only the template recorded in FILE (default: every template of the project).",
)
@friendly_errors
def diff(path: Path, upstream: bool, answers_file: str | None) -> None:
    """Unified diff of the project at PATH against a clean render of its template version.

    A project with several templates gets one diff per template, each after a `# FILE` line;
    the other templates' files are left out of it.
    """
    from ..update.diffing import diff as changes
    from ..update.fleet import files_of_other_templates, shared_work, targets

    every = targets([path])
    found = [t for t in every if answers_file in (None, t.answers_file)]
    with shared_work():  # each template's clean render is made once
        for target in found or targets([path], answers_file):
            others = () if upstream or len(every) < 2 else files_of_other_templates(target, every)
            text = changes(path, upstream, target.answers_file, others)
            if len(found) > 1:
                click.echo(f"# {target.answers_file}")
            if text:
                click.echo(text)

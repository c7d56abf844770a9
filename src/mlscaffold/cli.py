"""The ``mlscaffold`` command: a thin Click layer over one module per command."""

from __future__ import annotations

import click

from . import __version__
from .commands.changelog import changelog
from .commands.check import check
from .commands.config import config
from .commands.diff import diff
from .commands.link import link
from .commands.listing import list_templates
from .commands.new import new
from .commands.template import template
from .commands.update import update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="mlscaffold")
def cli() -> None:
    """Generate machine-learning portfolio projects, and keep them up to date.

    \b
      mlscaffold list                        the built-in templates
      mlscaffold new recommender my-recs     a new project (asks a few questions)
      mlscaffold new recommender my-recs --defaults --data author_name="Ada L"
    """
    from .userdirs import adopt_fallback_when_homeless

    adopt_fallback_when_homeless()


for command in (list_templates, new, link, config, update, check, diff, changelog, template):
    cli.add_command(command)


def main() -> None:
    """Console-script entry point."""
    cli()

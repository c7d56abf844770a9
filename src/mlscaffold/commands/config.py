"""``mlscaffold config``: show and change your default answers, templates and settings."""

from __future__ import annotations

import click

from .errors import friendly_errors


@click.group(invoke_without_command=True)
@click.pass_context
@friendly_errors
def config(ctx: click.Context) -> None:
    """Show your configuration (default answers, registered templates) and where it lives."""
    if ctx.invoked_subcommand:
        return
    from .. import config as cfg

    click.echo(f"# {cfg.config_path()}")
    settings = cfg.load()
    for section, values in settings.items():
        click.echo(f"{section}:" + ("" if values else " {}"))
        for key, value in sorted(values.items()):
            click.echo(f"  {key}: {value}")


@config.command("set")
@click.argument("key")
@click.argument("value")
@friendly_errors
def set_(key: str, value: str) -> None:
    """Set KEY (defaults.author_name, defaults.license, ..., settings.lock) to VALUE."""
    from .. import config as cfg

    click.echo(f"{key} = {value} ({cfg.set_value(key, value)})")


@config.command()
@click.argument("key")
@friendly_errors
def unset(key: str) -> None:
    """Remove KEY from the configuration."""
    from .. import config as cfg

    cfg.unset_value(key)
    click.echo(f"{key} removed")

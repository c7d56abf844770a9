"""What every command module shares: the settings decorator, the CSV path type, errors, data."""

from __future__ import annotations

from pathlib import Path

import click

from .config import Settings

pass_settings = click.make_pass_decorator(Settings)
CSV = click.Path(dir_okay=False, path_type=Path)


def fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


def load_data(
    settings: Settings, path: Path | None, labelled: bool | None = True, max_bad_share: float = 0.0
):
    from .data import DataError, load_csv

    try:
        return load_csv(
            path or Path(settings.data.path), labelled=labelled, max_bad_share=max_bad_share
        )
    except DataError as exc:
        raise fail(exc) from exc

"""Command-line options shared by `validate` and `train`, and loading the data they name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from . import DEFAULT_DATASET

DATASET_CHOICES = ("ml-latest-small", "ml-100k", "ml-1m", "goodbooks-10k", "csv")
MAX_BAD_SHARE = 0.01


def data_options(command: Callable) -> Callable:
    """Where the interactions come from: a public dataset or your own file."""
    options = [
        click.option(
            "--dataset",
            type=click.Choice(DATASET_CHOICES),
            default=DEFAULT_DATASET,
            show_default=True,
        ),
        click.option(
            "--data-dir",
            type=click.Path(path_type=Path, file_okay=False, exists=True),
            default=None,
            help="An extracted dataset folder to use instead of downloading into data/",
        ),
        click.option(
            "--interactions",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Your interactions file: CSV/TSV, JSONL or Parquet (implies --dataset csv)",
        ),
        click.option(
            "--items",
            type=click.Path(path_type=Path, dir_okay=False),
            default=None,
            help="Optional item metadata file (id, title, genres/tags)",
        ),
        click.option("--user-col", default="user_id", show_default=True),
        click.option("--item-col", default="item_id", show_default=True),
        click.option(
            "--rating-col", default=None, help="Default: 'rating' if present; '' for none"
        ),
        click.option(
            "--timestamp-col",
            default=None,
            help="Epoch seconds or ISO-8601. Default: 'timestamp' if present; '' for none",
        ),
        click.option(
            "--event-col",
            default=None,
            help="Event type per row (view, cart, purchase...). Default: 'event' if present",
        ),
        click.option(
            "--event-weights",
            default=None,
            help="Weight per event type, e.g. view=1,cart=3,purchase=5 "
            "(default: the weights `validate` shows)",
        ),
        click.option(
            "--items-id-col", default=None, help="Id column of --items (default: --item-col)"
        ),
        click.option("--item-title-col", default=None, help="Default: 'title' if present"),
        click.option(
            "--item-tags-col", default=None, help="'|', ',' or ';' separated; default: 'genres'"
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def load_data(options: dict) -> tuple[object, object | None]:
    """(Dataset, Ledger or None) for the options; one-line ClickExceptions for every problem."""
    from .datasets import download, load
    from .download import DownloadError
    from .ledger import DataError
    from .owndata import DEFAULT_EVENT_WEIGHTS, Columns, load_own, parse_event_weights

    try:
        if options["dataset"] == "csv" or options["interactions"]:
            if not options["interactions"]:
                raise click.UsageError("--dataset csv needs --interactions PATH")
            columns = Columns(
                options["user_col"],
                options["item_col"],
                options["rating_col"],
                options["timestamp_col"],
                options["event_col"],
                parse_event_weights(options["event_weights"])
                if options["event_weights"]
                else dict(DEFAULT_EVENT_WEIGHTS),
            )
            return load_own(
                options["interactions"],
                columns,
                options["items"],
                options["item_title_col"],
                options["item_tags_col"],
                options["items_id_col"],
            )
        folder = options["data_dir"] or download(options["dataset"], Path("data"))
        return load(folder), None
    except (DataError, DownloadError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc

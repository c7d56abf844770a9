"""Command-line plumbing shared by the commands: common options, settings -> TrainConfig, the
errors a user can cause (shown as one line), and the check that the training extra is there."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import defaults

OUT = click.option(
    "--out",
    "out_dir",
    default="artifacts",
    type=click.Path(path_type=Path),
    help="Folder of the trained model and its metadata.",
)
REPORTS = click.option("--reports", default="reports", type=click.Path(path_type=Path))

DATA_OPTIONS = [
    click.option(
        "--data",
        default=defaults.DATA,
        help="'rotten-tomatoes' or a CSV/JSONL/Parquet file of labelled texts.",
    ),
    click.option("--data-dir", default="data", help="Where the public dataset is downloaded."),
    click.option("--text-column", default="text"),
    click.option(
        "--label-column",
        "label_columns",
        multiple=True,
        help="The label column; repeat it for multi-label 0/1 columns [default: label].",
    ),
    click.option("--split-column", help="A column of train/val/test: your own split."),
    click.option(
        "--group-column",
        help="Rows sharing a value (a film, an author) stay on one side of the split.",
    ),
    click.option("--encoding", help="The file's encoding [default: UTF-8, else detected]."),
]


def data_options(fn: Callable) -> Callable:
    """Options that say where the texts are and how to read them (train, validate, curve)."""
    for option in reversed(DATA_OPTIONS):
        fn = option(fn)
    return fn


def to_config(kw: dict[str, Any]):
    """The command's options as a TrainConfig (repeated options become lists or None)."""
    from .config import TrainConfig

    kw = dict(kw)
    kw["label_columns"] = list(kw.pop("label_columns") or ["label"])
    if "benign_label" in kw:
        kw["benign"] = list(kw.pop("benign_label")) or None
    if "out_dir" in kw:
        kw["out_dir"] = str(kw["out_dir"])
    return TrainConfig.from_dict(kw)


@contextlib.contextmanager
def one_line_errors(*extra: type[Exception]) -> Iterator[None]:
    """Errors a user can cause (bad data, missing files, failed download, ``extra``) end the
    command with one `Error:` line instead of a traceback."""
    from .download import DownloadError
    from .ledger import DataError

    try:
        yield
    except (DataError, DownloadError, FileNotFoundError, OSError, ValueError, *extra) as exc:
        raise click.ClickException(str(exc)) from exc


def need_training_extra() -> None:
    try:
        import torch  # noqa: F401
        import transformers  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "this command needs torch and transformers: "
            "install torch, then `pip install -e '.[train]'`"
        ) from exc

"""`validate`: decode every image of a folder and account for each file, before training."""

from __future__ import annotations

from .dataset import SPLITS, Dataset
from .ledger import Ledger
from .paths import display_path


def folder_ledger(dataset: Dataset) -> Ledger:
    """A ledger of the folder: every image file is read or rejected (by its 1-based number in
    the sorted list of the files of every split)."""
    order = sorted(
        [row[0] for split in SPLITS for row in dataset.manifest.get(split, [])]
        + dataset.skipped_files
    )
    ledger = Ledger(source=display_path(dataset.source), records=len(order), read=len(order))
    number = {rel: i + 1 for i, rel in enumerate(order)}
    for rel in dataset.skipped_files:
        ledger.reject(number[rel], f"unreadable image {rel}")
    return ledger


def enforce_bad_share(dataset: Dataset, max_bad_share: float) -> None:
    """DataError when more than ``max_bad_share`` of the files could not be read."""
    if dataset.manifest:  # folder data (CIFAR-10 is checked by its checksums)
        where = display_path(dataset.source)
        hint = f"run `validate --data {where}` to list them"
        if dataset.index is not None:
            hint = f"`pack` left them out: they are listed in {where}/shards.json"
        folder_ledger(dataset).enforce(max_bad_share, hint)

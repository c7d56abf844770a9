"""`validate`: decode every image of a folder and account for each file, before training."""

from __future__ import annotations

from .artifacts import display_path
from .dataset import SPLITS, Dataset
from .ledger import Ledger


def folder_ledger(dataset: Dataset) -> Ledger:
    """A ledger of the folder: every image file is read or rejected (by its 1-based number in
    the sorted list of files of the decoded splits)."""
    order = sorted(
        [f for split in SPLITS for f in dataset.files.get(split, [])] + dataset.skipped_files
    )
    ledger = Ledger(source=display_path(dataset.source), records=len(order), read=len(order))
    number = {rel: i + 1 for i, rel in enumerate(order)}
    for rel in dataset.skipped_files:
        ledger.reject(number[rel], f"unreadable image {rel}")
    return ledger


def enforce_bad_share(dataset: Dataset, max_bad_share: float) -> None:
    """DataError when more than ``max_bad_share`` of the files could not be read."""
    if dataset.manifest:  # folder data (CIFAR-10 is checked by its checksums)
        hint = f"run `validate --data {display_path(dataset.source)}` to list them"
        folder_ledger(dataset).enforce(max_bad_share, hint)

"""`validate`: decode every image of a folder and account for each file, before training."""

from __future__ import annotations

from pathlib import Path

from .dataset import SPLITS, DataError, Dataset


def folder_ledger(dataset: Dataset, n_files: int):
    """A ledger of the folder: every image file is read or rejected (by its 1-based number)."""
    from .ledger import Ledger

    ledger = Ledger(source=dataset.source, records=n_files, read=0, rejected={})
    order = sorted(
        [f for split in SPLITS for f in dataset.files.get(split, [])] + dataset.skipped_files
    )
    number = {rel: i + 1 for i, rel in enumerate(order)}
    for rel in dataset.skipped_files:
        ledger.reject(number[rel], f"unreadable image ({rel})")
    ledger.read = sum(len(dataset.files.get(s, [])) for s in SPLITS)
    return ledger


def enforce_bad_share(dataset: Dataset, max_bad_share: float) -> None:
    """DataError when more than ``max_bad_share`` of the files could not be read."""
    total = sum(len(v) for v in dataset.files.values()) + dataset.skipped
    if total and dataset.skipped / total > max_bad_share:
        raise DataError(
            f"{dataset.skipped} of {total} image files are unreadable (over --max-bad-share "
            f"{max_bad_share}): run `validate --data {Path(dataset.source).name}` to list them"
        )

"""One entry point for the data: CIFAR-10 or a folder, optionally restricted to a saved split."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .cifar10 import load_cifar10
from .dataset import SPLITS, DataError, Dataset
from .folder import load_folder
from .splits import changed_files, saved_files

log = logging.getLogger(__name__)

__all__ = ["DataError", "Dataset", "is_cifar10", "load_dataset"]


def is_cifar10(data: str) -> bool:
    return data.lower() in {"cifar10", "cifar-10"}


def load_dataset(
    data: str,
    data_dir: Path = Path("data"),
    *,
    image_size: int | None = None,
    channels: int | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    download: bool = False,
    progress: bool = True,
    saved: dict[str, Any] | None = None,
    only: Iterable[str] = SPLITS,
    warn: Any = log.warning,
) -> Dataset:
    """Load ``data``: ``"cifar10"`` or the path of an image folder.

    With ``saved`` (a split.json), a folder's splits are exactly the saved files, and every
    change since training (file added, removed, edited) is passed to ``warn``.
    """
    if is_cifar10(data):
        return load_cifar10(
            data_dir / "cifar10", download=download, val_fraction=val_fraction, seed=seed
        )
    root = Path(data)
    if saved is None or "files" not in saved:
        return load_folder(
            root, image_size=image_size, channels=channels, val_fraction=val_fraction,
            test_fraction=test_fraction, seed=seed, progress=progress, only=only,
        )  # fmt: skip
    if not root.is_dir():
        raise DataError(f"no image folder at {root}: pass --data with the folder trained on")
    files, warnings = saved_files(saved, root)
    dataset = load_folder(
        root, image_size=image_size, channels=channels, progress=progress,
        files=files, classes=saved["classes"], only=only,
    )  # fmt: skip
    for message in warnings + changed_files(saved, dataset):
        warn(message)
    return dataset

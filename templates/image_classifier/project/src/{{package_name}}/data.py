"""One entry point for the data: CIFAR-10 or a folder, optionally restricted to a saved split."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .cifar10 import load_cifar10
from .dataset import SPLITS, DataError, Dataset
from .folder import folder_side, load_folder, median_side
from .preprocess import fit_of
from .shards import is_shards, load_index, load_shards
from .splits import changed_files, saved_files

log = logging.getLogger(__name__)

__all__ = ["DataError", "Dataset", "is_cifar10", "load_dataset", "load_for_model", "native_side"]
CIFAR10_SIDE = 32


def is_cifar10(data: str) -> bool:
    return data.lower() in {"cifar10", "cifar-10"}


def native_side(data: str) -> int:
    """The median shorter side, in pixels, of the images of ``data`` as stored (before any
    resizing), read from headers or the shards' index: what ``--backbone auto`` decides on."""
    if is_cifar10(data):
        return CIFAR10_SIDE
    root = Path(data)
    if is_shards(root):
        records = load_index(root).records.get("train", [])
        return median_side([(r.width, r.height, r.mode) for r in records])
    return folder_side(root)


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
    fit: str = "crop",
    limits: dict[str, int] | None = None,
) -> Dataset:
    """Load ``data``: ``"cifar10"``, the path of an image folder, or a folder packed by `pack`
    (only its splits in ``only`` are decoded, at most ``limits[split]`` images of one).

    With ``saved`` (a split.json), a folder's splits are exactly the saved files, and every
    change since training (file added, removed, edited) is passed to ``warn``.
    """
    if is_cifar10(data):
        return load_cifar10(
            data_dir / "cifar10", download=download, val_fraction=val_fraction, seed=seed
        )
    root = Path(data)
    if is_shards(root):  # packed by `pack`: the split is the one fixed when packing
        dataset = load_shards(
            root, image_size=image_size, channels=channels, only=tuple(only), fit=fit,
            limits=limits,
        )  # fmt: skip
        for message in changed_files(saved, dataset) if saved and "files" in saved else []:
            warn(message)
        return dataset
    if saved is None or "files" not in saved:
        return load_folder(
            root, image_size=image_size, channels=channels, val_fraction=val_fraction,
            test_fraction=test_fraction, seed=seed, progress=progress, only=only, fit=fit,
        )  # fmt: skip
    if not root.is_dir():
        raise DataError(f"no image folder at {root}: pass --data with the folder trained on")
    files, warnings = saved_files(saved, root)
    dataset = load_folder(
        root, image_size=image_size, channels=channels, progress=progress,
        files=files, classes=saved["classes"], only=only, fit=fit,
    )  # fmt: skip
    for message in warnings + changed_files(saved, dataset):
        warn(message)
    return dataset


def load_for_model(
    meta: dict[str, Any],
    data: str | None,
    data_dir: str | Path,
    *,
    saved: dict[str, Any] | None,
    only: Iterable[str],
    warn: Any = log.warning,
    progress: bool = False,
    limits: dict[str, int] | None = None,
) -> Dataset:
    """The splits ``only`` of a trained model's data (``data`` or the one it was trained on),
    prepared exactly as for that model: its input size, channels, fit and saved split."""
    cfg = meta["train_config"]
    return load_dataset(
        data or meta["data"], Path(data_dir), image_size=meta["image_size"],
        channels=meta["channels"], val_fraction=cfg["val_fraction"],
        test_fraction=cfg["test_fraction"], seed=cfg["seed"], progress=progress, saved=saved,
        only=only, warn=warn, fit=fit_of(meta), limits=limits,
    )  # fmt: skip

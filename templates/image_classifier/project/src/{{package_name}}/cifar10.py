"""CIFAR-10: downloaded only on request, checked against its SHA-256."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np

from .dataset import DataError, Dataset, stratified_split
from .download import extract, fetch

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
# The archive whose MD5 the dataset's page publishes (c58f30108f718f92721af3b95e74349a).
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]


def download_cifar10(root: Path, url: str = CIFAR10_URL, sha256: str = CIFAR10_SHA256) -> Path:
    """Download (if needed), verify (SHA-256) and extract CIFAR-10."""
    extract(fetch(url, root / CIFAR10_ARCHIVE, sha256), root)
    return root / CIFAR10_DIR


def _unpickle(path: Path) -> dict:
    # The files come from the checksum-verified archive; pickle is the format CIFAR-10 ships in.
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="bytes")


def load_cifar10(
    root: Path,
    *,
    download: bool = False,
    val_fraction: float = 0.1,
    seed: int = 0,
    **kwargs: object,
) -> Dataset:
    """CIFAR-10 from ``root``; downloaded only when ``download`` is true (nothing otherwise).

    The official test batch is the test split; validation is a seeded, stratified share of train.
    """
    folder = root / CIFAR10_DIR
    if not all((folder / name).is_file() for name in CIFAR10_FILES):
        if download or (root / CIFAR10_ARCHIVE).is_file():
            folder = download_cifar10(root, **kwargs)  # type: ignore[arg-type]
        else:
            raise DataError(
                f"CIFAR-10 is not in {root}: run the `download` command (or `train --download`) "
                "to fetch it, or pass --data with a folder of your own images"
            )

    def batch(name: str) -> tuple[np.ndarray, np.ndarray]:
        raw = _unpickle(folder / name)
        images = np.asarray(raw[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        return images, np.asarray(raw[b"labels"], dtype=np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    train = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    classes = [c.decode() for c in _unpickle(folder / "batches.meta")[b"label_names"]]
    splits = {"test": batch("test_batch")}
    train_idx, val_idx, _ = stratified_split(train[1], val_fraction, 0.0, seed)
    splits["train"] = train[0][train_idx], train[1][train_idx]
    if len(val_idx):
        splits["val"] = train[0][val_idx], train[1][val_idx]
    return Dataset(classes, splits, image_size=32, channels=3, source="cifar10")

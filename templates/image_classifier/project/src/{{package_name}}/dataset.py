"""The decoded dataset (uint8 N x C x H x W per split) and the seeded, stratified split."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .ledger import DataError  # one-line, user-facing (shared with every template)

SPLITS = ("train", "val", "test")


__all__ = ["SPLITS", "DataError", "Dataset", "stratified_split"]


@dataclass
class Dataset:
    """Decoded images per split, integer labels, class names and what happened on the way."""

    classes: list[str]
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    image_size: int
    channels: int
    source: str
    skipped: int = 0
    skipped_files: list[str] = field(default_factory=list)
    #: per split, the file of each row (relative to the data folder), for folder data
    files: dict[str, list[str]] = field(default_factory=dict)
    #: per split, [relative path, label, sha256] of every file (what `train` saves as split.json)
    manifest: dict[str, list[list]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: packed data (shards.ShardIndex): `train` streams it; ``splits`` holds what was decoded
    index: Any = None

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.splits.get(name) or self.empty()

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        shape = (0, self.channels, self.image_size, self.image_size)
        return np.zeros(shape, np.uint8), np.zeros(0, np.int64)

    def sizes(self) -> dict[str, int]:
        if self.index is not None:
            return {name: self.index.sizes().get(name, 0) for name in SPLITS}
        return {name: len(self.split(name)[1]) for name in SPLITS}


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded, stratified indices for train/val/test (every class keeps a training example)."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n = len(idx)
        n_test = _share(n, test_fraction)
        n_val = _share(n - n_test, val_fraction / max(1e-9, 1 - test_fraction))
        n_val = min(n_val, max(0, n - n_test - 1))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)  # type: ignore[return-value]


def _share(n: int, fraction: float) -> int:
    if fraction <= 0 or n < 2:
        return 0
    return min(n - 1, max(1, round(n * fraction)))

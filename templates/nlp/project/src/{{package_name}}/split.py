"""A seeded, stratified train/validation/test split (multi-label aware), or the user's own."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import train_test_split

from .data import TextData
from .ledger import DataError


def strata(data: TextData) -> np.ndarray:
    """Multi-class: the class. Multi-label: each row's rarest positive label, or "none"."""
    if not data.multilabel:
        return data.y
    counts = data.y.sum(0)
    order = np.argsort(counts)  # rarest first
    key = np.full(len(data), -1)
    for label in order[::-1]:  # later (rarer) labels overwrite
        key[data.y[:, label] == 1] = label
    return key


def _stratify(key: np.ndarray, size: float) -> np.ndarray | None:
    """The key when every stratum can appear on both sides, else None (a plain random split)."""
    _, counts = np.unique(key, return_counts=True)
    return key if counts.min() >= 2 and size * len(key) >= len(counts) else None


def split_indices(
    data: TextData, val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> dict[str, np.ndarray]:
    """Indices of train/val/test: the user's split column if given, else a stratified split."""
    if data.split is not None:
        parts = {name: np.flatnonzero(data.split == name) for name in ("train", "val", "test")}
        if not len(parts["train"]) or not len(parts["val"]):
            raise DataError("the split column needs train and val rows (test is optional)")
        return parts
    index, key = np.arange(len(data)), strata(data)
    if len(data) < 20:
        raise DataError(f"{len(data)} usable rows: at least 20 are needed to split and evaluate")
    rest, test = train_test_split(
        index, test_size=test_fraction, random_state=seed, stratify=_stratify(key, test_fraction)
    )
    share = val_fraction / (1 - test_fraction)
    train, val = train_test_split(
        rest, test_size=share, random_state=seed, stratify=_stratify(key[rest], share)
    )
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}

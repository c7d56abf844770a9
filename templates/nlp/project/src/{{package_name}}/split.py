"""A seeded, stratified train/validation/test split (multi-label aware), or the user's own.
Duplicate texts and rows of one group (``--group-column``) always land on the same side."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from .data import TextData
from .duplicates import group_ids
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
    groups = group_ids(data)
    if len(np.unique(groups)) < len(data):
        rest, test = _group_split(index, key, groups, test_fraction, seed)
        train, val = _group_split(rest, key, groups, val_fraction / (1 - test_fraction), seed)
        return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}
    rest, test = train_test_split(
        index, test_size=test_fraction, random_state=seed, stratify=_stratify(key, test_fraction)
    )
    share = val_fraction / (1 - test_fraction)
    train, val = train_test_split(
        rest, test_size=share, random_state=seed, stratify=_stratify(key[rest], share)
    )
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def _group_split(
    index: np.ndarray, key: np.ndarray, groups: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held out) of ``index``: about ``fraction`` held out, whole groups, stratified."""
    folds = max(2, round(1 / fraction))
    if len(np.unique(groups[index])) < folds:
        raise DataError(
            f"{len(np.unique(groups[index]))} groups (duplicate texts and --group-column "
            f"values): too few to hold out {fraction:.0%} as whole groups"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only n members"
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        rest, held = next(splitter.split(index, key[index], groups[index]))
    return index[rest], index[held]

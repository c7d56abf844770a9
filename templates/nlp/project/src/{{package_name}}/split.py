"""Exact duplicate texts and conflicting labels (counted and shown with line numbers), and a
seeded, stratified train/validation/test split (multi-label aware) or the user's own. Duplicate
texts and rows of one group (``--group-column``, e.g. a film) always land on the same side."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from .data import TextData
from .ledger import DataError


def _keys(data: TextData) -> pd.Series:
    """Each text with its whitespace collapsed: equal keys are duplicates."""
    return pd.Series([" ".join(t.split()) for t in data.texts])


def duplicates(data: TextData, examples: int = 3) -> tuple[dict[str, int], list[str]]:
    """Counts of duplicated texts and of those with conflicting labels, and what `validate`
    prints: the counts and a few examples with their line numbers."""
    rows = [g for g in _keys(data).groupby(_keys(data)).indices.values() if len(g) > 1]
    conflicts = [g for g in rows if len({data.label_of(i) for i in g}) > 1]
    counts = {
        "duplicated_texts": len(rows),
        "extra_rows": sum(len(g) - 1 for g in rows),
        "conflicting_texts": len(conflicts),
    }
    if not rows:
        return counts, ["duplicates: none"]

    def show(group: np.ndarray) -> str:
        lines = ", ".join(f"{int(data.lines[i])} ({data.label_of(i)})" for i in group[:5])
        return f"  lines {lines}: {data.texts[group[0]][:60]!r}"

    out = [
        f"duplicates: {len(rows)} texts appear more than once ({counts['extra_rows']} extra "
        "rows); each stays on one side of the split",
        *map(show, rows[:examples]),
    ]
    if conflicts:
        out += [
            f"label conflicts: {len(conflicts)} duplicated texts carry different labels; fix "
            "them or expect a noisy ceiling",
            *map(show, conflicts[:examples]),
        ]
    return counts, out


def group_ids(data: TextData) -> np.ndarray:
    """One id per row; rows sharing a text or a group-column value share an id (the connected
    components of the graph that links each row to its text and its group)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keys = [("text", k) for k in _keys(data)]
    rows = list(range(len(data)))
    if data.groups is not None:
        keys += [("group", str(g)) for g in data.groups]
        rows *= 2
    nodes = pd.factorize(pd.Series(keys))[0] + len(data)
    n = nodes.max() + 1
    graph = coo_matrix((np.ones(len(rows)), (rows, nodes)), shape=(n, n))
    return connected_components(graph, directed=False)[1][: len(data)]


def strata(data: TextData) -> np.ndarray:
    """Multi-class: the class. Multi-label: each row's rarest positive label, or "none"."""
    if not data.multilabel:
        return data.y
    key = np.full(len(data), -1)
    for label in np.argsort(data.y.sum(0))[::-1]:  # later (rarer) labels overwrite
        key[data.y[:, label] == 1] = label
    return key


def split_indices(
    data: TextData, val_fraction: float = 0.1, test_fraction: float = 0.2, seed: int = 0
) -> dict[str, np.ndarray]:
    """Indices of train/val/test: the user's split column if given, else a stratified split of
    whole groups (duplicate texts and --group-column values)."""
    if data.split is not None:
        parts = {name: np.flatnonzero(data.split == name) for name in ("train", "val", "test")}
        if not len(parts["train"]) or not len(parts["val"]):
            raise DataError("the split column needs train and val rows (test is optional)")
        return parts
    if len(data) < 20:
        raise DataError(f"{len(data)} usable rows: at least 20 are needed to split and evaluate")
    key, groups = strata(data), group_ids(data)
    rest, test = _group_split(np.arange(len(data)), key, groups, test_fraction, seed)
    train, val = _group_split(rest, key, groups, val_fraction / (1 - test_fraction), seed)
    return {"train": train, "val": val, "test": test}


def _group_split(
    index: np.ndarray, key: np.ndarray, groups: np.ndarray, fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(rest, held out) of ``index``: about ``fraction`` held out, whole groups, stratified."""
    folds = max(2, round(1 / fraction))
    if (n := len(np.unique(groups[index]))) < folds:
        raise DataError(
            f"{n} groups (duplicate texts and --group-column values): too few to hold out "
            f"{fraction:.0%} as whole groups"
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "the least populated class has only n members"
        splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=seed)
        rest, held = next(splitter.split(index, key[index], groups[index]))
    return index[rest], index[held]


def subsample(data: TextData, index: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """A stratified subsample of ``index`` of size ``n`` (all of it when n is None or larger)."""
    if n is None or n >= len(index):
        return index
    key = strata(data)[index]
    _, counts = np.unique(key, return_counts=True)
    stratify = key if counts.min() >= 2 and n >= len(counts) else None
    keep, _ = train_test_split(index, train_size=n, random_state=seed, stratify=stratify)
    return np.sort(keep)

"""Exact duplicate texts and conflicting labels (counted and shown with line numbers), and a
seeded, stratified train/validation/test split (multi-label aware) or the user's own. Duplicate
texts and rows of one group (``--group-column``, e.g. a film) always land on the same side."""

from __future__ import annotations

import warnings
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import StratifiedGroupKFold, train_test_split

from .data import TextData
from .ledger import DataError


@dataclass
class Duplicates:
    """Row indices of each text that appears more than once, and of those with differing labels."""

    groups: list[list[int]]
    conflicts: list[list[int]]

    def as_dict(self) -> dict[str, int]:
        return {
            "duplicated_texts": len(self.groups),
            "extra_rows": sum(len(g) - 1 for g in self.groups),
            "conflicting_texts": len(self.conflicts),
        }


def _key(text: str) -> str:
    return " ".join(text.split())


def find_duplicates(data: TextData) -> Duplicates:
    """Texts equal after collapsing whitespace; a conflict is such a text with two labelings."""
    rows: dict[str, list[int]] = defaultdict(list)
    for i, text in enumerate(data.texts):
        rows[_key(text)].append(i)
    groups = [g for g in rows.values() if len(g) > 1]
    conflicts = [g for g in groups if len({np.atleast_1d(data.y[i]).tobytes() for i in g}) > 1]
    return Duplicates(groups, conflicts)


def describe_duplicates(dups: Duplicates, data: TextData, examples: int = 3) -> list[str]:
    """What `validate` prints: counts and a few examples with their line numbers."""
    if not dups.groups:
        return ["duplicates: none"]
    counts = dups.as_dict()

    def show(group: list[int]) -> str:
        lines = ", ".join(f"{int(data.lines[i])} ({data.label_of(i)})" for i in group[:5])
        return f"  lines {lines}: {data.texts[group[0]][:60]!r}"

    out = [
        f"duplicates: {counts['duplicated_texts']} texts appear more than once "
        f"({counts['extra_rows']} extra rows); each stays on one side of the split",
        *(show(g) for g in dups.groups[:examples]),
    ]
    if dups.conflicts:
        out += [
            f"label conflicts: {counts['conflicting_texts']} duplicated texts carry different "
            "labels; fix them or expect a noisy ceiling",
            *(show(g) for g in dups.conflicts[:examples]),
        ]
    return out


def group_ids(data: TextData) -> np.ndarray:
    """One id per row; rows sharing a text or a group-column value share an id (the connected
    components of the graph that links each row to its text and its group)."""
    import pandas as pd
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    keys = [("text", _key(t)) for t in data.texts]
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
    if len(data) < 20:
        raise DataError(f"{len(data)} usable rows: at least 20 are needed to split and evaluate")
    index, key, groups = np.arange(len(data)), strata(data), group_ids(data)
    share = val_fraction / (1 - test_fraction)
    if len(np.unique(groups)) < len(data):
        rest, test = _group_split(index, key, groups, test_fraction, seed)
        train, val = _group_split(rest, key, groups, share, seed)
    else:
        rest, test = train_test_split(
            index,
            test_size=test_fraction,
            random_state=seed,
            stratify=_stratify(key, test_fraction),
        )
        train, val = train_test_split(
            rest, test_size=share, random_state=seed, stratify=_stratify(key[rest], share)
        )
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


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
    keep, _ = train_test_split(
        index, train_size=n, random_state=seed, stratify=_stratify(key, n / len(index))
    )
    return np.sort(keep)

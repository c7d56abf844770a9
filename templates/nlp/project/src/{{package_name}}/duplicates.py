"""Exact duplicate texts and conflicting labels: counted, shown with line numbers, and grouped
so that a text (or a group column's value, e.g. a film) never sits on both sides of a split."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from .data import TextData


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


def describe(dups: Duplicates, data: TextData, examples: int = 3) -> list[str]:
    """What `validate` prints: counts and a few examples with their line numbers."""
    counts = dups.as_dict()
    if not dups.groups:
        return ["duplicates: none"]

    def show(group: list[int]) -> str:
        lines = ", ".join(f"{int(data.lines[i])} ({_label(data, i)})" for i in group[:5])
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


def _label(data: TextData, i: int) -> str:
    if data.multilabel:
        return "+".join(name for name, v in zip(data.labels, data.y[i], strict=True) if v) or "-"
    return data.labels[int(data.y[i])]


def group_ids(data: TextData) -> np.ndarray:
    """One id per row; rows sharing a text or a group-column value share an id (union-find)."""
    parent = list(range(len(data)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str], int] = {}
    keys = [("text", _key(t)) for t in data.texts]
    if data.groups is not None:
        keys += [("group", str(g)) for g in data.groups]
    for n, key in enumerate(keys):
        i = n % len(data)
        if key in first:
            parent[root(i)] = root(first[key])
        else:
            first[key] = i
    return np.asarray([root(i) for i in range(len(data))])

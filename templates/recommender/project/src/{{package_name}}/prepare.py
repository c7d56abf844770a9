"""From a train/target pair of interaction frames to the matrices models learn from and are scored on."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .data import Dataset, filter_min_counts, to_implicit
from .matrices import Prepared
from .models import MODEL_NAMES
from .split import split


@dataclass
class Config:
    threshold: float | None = 3.5
    min_user: int = 1
    min_item: int = 1
    # A user's n-th most recent positive weighs 0.5 ** (n / half_life) in the matrix models learn
    # from; None weighs everything the same.
    recency_half_life: float | None = 25.0
    split: str = "user-temporal"
    test_fraction: float = 0.2
    last_n: int = 1
    k: int = 10
    # The strict protocol (rolling.py): global cut-offs over the last share of the log; 0: none.
    cutoffs: int = 20
    rolling_share: float = 0.5
    models: tuple[str, ...] = MODEL_NAMES
    seed: int = 42
    # Hyper-parameters per model, over fitting.DEFAULTS.
    params: dict[str, dict[str, float]] = field(default_factory=dict)


def catalogue(dataset: Dataset, train: pd.DataFrame) -> np.ndarray:
    """Every item known when training ends: the metadata's items and the trained-on items."""
    known = pd.Index(dataset.items["item"].astype(str))
    extra = pd.Index(train["item"].unique()).difference(known)
    return np.array(list(known) + list(extra), dtype=object)


def protocol(dataset: Dataset, cfg: Config) -> tuple[Prepared, Prepared, np.ndarray]:
    """The validation and test matrices of ``cfg.split`` (validation carved from training)."""
    data = dataset.interactions
    train, test = split(data, cfg.split, cfg.test_fraction, cfg.last_n)
    inner, valid = split(train, cfg.split, cfg.test_fraction, cfg.last_n)
    items = catalogue(dataset, data)
    return prepare(inner, valid, items, cfg), prepare(train, test, items, cfg), items


def prepare(
    train: pd.DataFrame, target: pd.DataFrame | None, items: np.ndarray, cfg: Config
) -> Prepared:
    """Positives, seen items and (when ``target`` is given) the evaluation targets."""
    positives = filter_min_counts(to_implicit(train, cfg.threshold), cfg.min_user, cfg.min_item)
    if positives.empty:
        raise ValueError("no training interactions left: lower --threshold or the --min-* counts")
    users = np.array(sorted(positives["user"].unique()), dtype=object)
    user_pos = pd.Index(users)
    item_pos = pd.Index(items)

    def matrix(frame: pd.DataFrame, weights: np.ndarray) -> sp.csr_matrix:
        # one cell per (user, item): the weights of its events (all from ``train``) add up
        rows = user_pos.get_indexer(frame["user"])
        cols = item_pos.get_indexer(frame["item"])
        keep = (rows >= 0) & (cols >= 0)
        out = sp.csr_matrix(
            (weights[keep].astype(np.float32), (rows[keep], cols[keep])),
            shape=(len(users), len(items)),
        )
        out.sum_duplicates()
        return out

    event = positives["weight"].to_numpy(dtype=np.float32)
    pos = matrix(positives, event * recency_weights(positives, cfg.recency_half_life))
    seen = matrix(train, np.ones(len(train), dtype=np.float32))
    seen.data[:] = 1.0  # repeats of a pair were summed: seen is a set
    stats: dict[str, object] = {
        "train_interactions": len(train),
        "train_positives": int(pos.nnz),
        "users": len(users),
        "items": len(items),
    }
    if target is None:
        return Prepared(users, items, pos, seen, np.zeros(0, np.int64), [], stats)
    held = to_implicit(target, cfg.threshold)
    held = held[held["user"].isin(user_pos)].drop_duplicates(["user", "item"])
    trained_pairs = pd.MultiIndex.from_frame(train[["user", "item"]])
    held = held[~pd.MultiIndex.from_frame(held[["user", "item"]]).isin(trained_pairs)]
    relevant: dict[int, list[int]] = {}
    unknown_items = 0
    for user, item in zip(
        user_pos.get_indexer(held["user"]), item_pos.get_indexer(held["item"]), strict=True
    ):
        # An item the catalogue does not know is still relevant (it counts against recall); no
        # model can recommend it, and pretending it was not there would flatter every model.
        relevant.setdefault(int(user), []).append(int(item) if item >= 0 else -1 - unknown_items)
        unknown_items += int(item < 0)
    eval_rows = np.array(sorted(relevant), dtype=np.int64)
    stats.update(
        {
            "held_out_interactions": len(target),
            "held_out_positives": len(held),
            "eval_users": len(eval_rows),
            "relevant_items_unknown_to_catalogue": unknown_items,
        }
    )
    return Prepared(
        users, items, pos, seen, eval_rows, [np.array(relevant[r]) for r in eval_rows], stats
    )


def recency_weights(positives: pd.DataFrame, half_life: float | None) -> np.ndarray:
    """Per interaction: 1 for each user's latest, halving every ``half_life`` older ones."""
    if not half_life:
        return np.ones(len(positives), dtype=np.float32)
    rank = (
        positives.sort_values("timestamp", kind="stable")
        .groupby("user")
        .cumcount(ascending=False)
        .reindex(positives.index)
        .to_numpy()
    )
    return (0.5 ** (rank / half_life)).astype(np.float32)

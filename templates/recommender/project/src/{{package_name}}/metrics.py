"""Ranking metrics at k, per user and averaged over the users evaluated.

For one user with ranked list ``recommended`` (best first) and set ``relevant``:

- precision@k = hits / k
- recall@k    = hits / |relevant|
- NDCG@k      = DCG / ideal DCG, DCG = sum over hits of 1 / log2(rank + 1), ranks from 1
- AP@k        = sum over hit ranks r of precision@r, divided by min(|relevant|, k); MAP is its mean
- hit rate@k  = 1 if any hit, else 0
- coverage@k  = distinct items recommended to anybody / catalogue size (one figure for the run)
- novelty@k   = mean self-information -log2(share of training users who have the item) of the
  recommended items (higher: less obvious items; Zhou et al. 2010)
- popularity@k = mean share of training users who have each recommended item (popularity bias)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

ACCURACY = ("precision", "recall", "ndcg", "map", "hit_rate")
METRICS = (*ACCURACY, "coverage", "novelty")


def user_metrics(recommended: Sequence[int], relevant: Iterable[int], k: int) -> dict[str, float]:
    """Precision, recall, NDCG, AP and hit of one user's top-k list."""
    relevant = set(relevant)
    if not relevant:
        raise ValueError("a user needs at least one relevant item to be evaluated")
    top = [int(i) for i in recommended[:k] if int(i) >= 0]
    hits = [1.0 if item in relevant else 0.0 for item in top]
    n_hits = sum(hits)
    dcg = sum(h / np.log2(rank + 2) for rank, h in enumerate(hits))
    ideal = sum(1.0 / np.log2(rank + 2) for rank in range(min(len(relevant), k)))
    ap, running = 0.0, 0.0
    for rank, h in enumerate(hits):
        if h:
            running += 1.0
            ap += running / (rank + 1)
    return {
        "precision": n_hits / k,
        "recall": n_hits / len(relevant),
        "ndcg": float(dcg / ideal),
        "map": ap / min(len(relevant), k),
        "hit_rate": 1.0 if n_hits else 0.0,
    }


def per_user_table(
    recommended: np.ndarray, relevant: Sequence[Iterable[int]], k: int
) -> dict[str, np.ndarray]:
    """Each accuracy metric as an array with one value per evaluated user (for bootstraps)."""
    if len(recommended) != len(relevant):
        raise ValueError("one recommended list per relevant set")
    if not len(recommended):
        raise ValueError("no users to evaluate")
    rows = [user_metrics(rec, rel, k) for rec, rel in zip(recommended, relevant, strict=True)]
    return {name: np.array([r[name] for r in rows]) for name in ACCURACY}


def beyond_accuracy(
    recommended: np.ndarray, item_users: np.ndarray, n_users: int, k: int
) -> dict[str, float]:
    """Catalogue coverage, novelty and mean popularity of the top-k lists."""
    top = recommended[:, :k]
    shown = top[top >= 0]
    share = np.maximum(item_users, 1) / max(n_users, 1)
    return {
        "coverage": float(np.unique(shown).size / max(len(item_users), 1)),
        "novelty": float(np.mean(-np.log2(share[shown]))) if shown.size else 0.0,
        "popularity": float(np.mean(item_users[shown] / max(n_users, 1))) if shown.size else 0.0,
    }


def activity_buckets(train_counts: np.ndarray) -> np.ndarray:
    """Per user: 0 light, 1 medium, 2 heavy, by the terciles of their training interactions."""
    if train_counts.size == 0:
        return np.zeros(0, dtype=np.int64)
    low, high = np.quantile(train_counts, [1 / 3, 2 / 3])
    return (train_counts > low).astype(np.int64) + (train_counts > high).astype(np.int64)


BUCKETS = ("light", "medium", "heavy")

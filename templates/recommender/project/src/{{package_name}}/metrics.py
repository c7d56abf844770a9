"""Ranking metrics at k, per user and averaged over the users evaluated.

For one user with ranked list ``recommended`` (best first) and set ``relevant``:

- precision@k = hits / k
- recall@k    = hits / |relevant|
- NDCG@k      = DCG / ideal DCG, DCG = sum over hits of 1 / log2(rank + 1), ranks from 1
- AP@k        = sum over hit ranks r of precision@r, divided by min(|relevant|, k); MAP is its mean
- hit rate@k  = 1 if any hit, else 0
- coverage@k  = distinct items recommended to anybody / catalogue size (one figure for the run)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

METRICS = ("precision", "recall", "ndcg", "map", "hit_rate", "coverage")


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


def evaluate_lists(
    recommended: Sequence[Sequence[int]], relevant: Sequence[Iterable[int]], k: int, n_items: int
) -> dict[str, float]:
    """Mean metrics over users, plus catalogue coverage of all the lists together."""
    if len(recommended) != len(relevant):
        raise ValueError("one recommended list per relevant set")
    if not recommended:
        raise ValueError("no users to evaluate")
    per_user = [user_metrics(rec, rel, k) for rec, rel in zip(recommended, relevant, strict=True)]
    means = {name: float(np.mean([m[name] for m in per_user])) for name in per_user[0]}
    shown = {int(i) for rec in recommended for i in rec[:k] if int(i) >= 0}
    means["coverage"] = len(shown) / n_items
    return means


def bootstrap_ratio(
    model: Sequence[float], baseline: Sequence[float], n: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """95% interval of mean(model) / mean(baseline), resampling the evaluated users (paired).

    With few test users a single ratio can mislead; the interval shows how much it could move.
    """
    a, b = np.asarray(model, dtype=float), np.asarray(baseline, dtype=float)
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(a), size=(n, len(a)))
    base = b[picks].mean(axis=1)
    ratios = a[picks].mean(axis=1)[base > 0] / base[base > 0]
    if ratios.size == 0:
        return float("nan"), float("nan")
    low, high = np.percentile(ratios, [2.5, 97.5])
    return float(low), float(high)

"""Scoring models on held-out interactions: full ranking, seen items excluded, per-user figures.

Every evaluated user ranks the whole catalogue (no sampled negatives), minus what they interacted
with in training. Per-user arrays are kept so models can be compared with paired bootstraps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .metrics import BUCKETS, activity_buckets, beyond_accuracy, per_user_table
from .models import Scorer, top_k
from .prepare import Prepared
from .stats import bootstrap_interval, paired_bootstrap


@dataclass
class Scored:
    """One model on one split: top-k lists and per-user accuracy."""

    lists: np.ndarray
    per_user: dict[str, np.ndarray]
    summary: dict[str, object]


def recommend_rows(
    model: Scorer, prep: Prepared, rows: np.ndarray, k: int, batch: int = 1024
) -> np.ndarray:
    """Top-k item indices for training-user rows, seen items excluded."""
    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        scores = model.score(chunk, prep.positives[chunk])
        out.append(top_k(scores, k, prep.seen[chunk]))
    return np.vstack(out) if out else np.zeros((0, k), dtype=np.int64)


def score_model(model: Scorer, prep: Prepared, k: int, detail: bool = True) -> Scored:
    """Mean accuracy at k (and, with ``detail``, beyond-accuracy and activity buckets)."""
    if len(prep.eval_rows) == 0:
        raise ValueError("no held-out user has training history: use more data or another split")
    lists = recommend_rows(model, prep, prep.eval_rows, k)
    per_user = per_user_table(lists, prep.relevant, k)
    summary: dict[str, object] = {m: float(v.mean()) for m, v in per_user.items()}
    if detail:
        item_users = np.bincount(prep.positives.indices, minlength=len(prep.items))
        summary.update(beyond_accuracy(lists, item_users, len(prep.users), k))
        counts = np.diff(prep.positives.indptr)[prep.eval_rows]
        buckets = activity_buckets(counts)
        summary["ndcg_by_activity"] = {
            name: {
                "users": int((buckets == b).sum()),
                "ndcg": float(per_user["ndcg"][buckets == b].mean())
                if (buckets == b).any()
                else None,
            }
            for b, name in enumerate(BUCKETS)
        }
        for metric, values in per_user.items():
            _, low, high = bootstrap_interval(np.mean, values, seed=0)
            summary[f"{metric}_ci95"] = [low, high]
    return Scored(lists, per_user, summary)


def lift(a: Scored, b: Scored, metric: str = "ndcg") -> dict[str, float | bool]:
    """mean(a)/mean(b) of ``metric`` with a paired bootstrap 95% interval over the same users."""
    x, y = a.per_user[metric], b.per_user[metric]
    if y.mean() == 0:
        return {"ratio": None, "low": None, "high": None, "includes_1": True}
    point, low, high = paired_bootstrap(np.mean, [x], [y], n_boot=1000, seed=0, ratio=True)
    return {"ratio": point, "low": low, "high": high, "includes_1": bool(low <= 1.0 <= high)}

"""Per-label decision thresholds chosen on validation for stated goals, and the moderation rule.

`block`: the lowest score threshold whose validation precision reaches the block goal (e.g. 0.9:
automatic removal must rarely be wrong); `review`: the highest threshold whose validation recall
reaches the review goal (e.g. 0.9: human review must see most harmful texts). "Reaches" means
with 95% confidence: the Wilson lower bound, not the point estimate, must be at or over the goal,
so a handful of lucky validation texts cannot set a threshold. A goal that cannot be met leaves
that threshold unset (None: never block automatically / never send to review).
"""

from __future__ import annotations

import numpy as np

from .stats import wilson_interval


def _ranked(y: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scores high to low, true positives among the top k, and whether k ends a run of ties
    (a threshold fires every text at or over it, so only those k are reachable)."""
    order = np.argsort(-score, kind="stable")
    ranked = score[order]
    tp = np.cumsum(y[order] == 1)
    ends = np.r_[ranked[:-1] > ranked[1:], True]
    return ranked, tp, ends


def lower_bound(successes: int, n: int) -> float:
    return wilson_interval(int(successes), int(n))[0]


def block_threshold(y: np.ndarray, score: np.ndarray, precision_goal: float) -> float | None:
    """Lowest threshold whose precision's 95% Wilson lower bound is >= the goal."""
    ranked, tp, ends = _ranked(y, score)
    ok = [k for k in np.flatnonzero(ends) if lower_bound(tp[k], k + 1) >= precision_goal]
    return None if not ok else float(ranked[max(ok)])


def review_threshold(y: np.ndarray, score: np.ndarray, recall_goal: float) -> float | None:
    """Highest threshold whose recall's 95% Wilson lower bound is >= the goal."""
    positives = int((y == 1).sum())
    if positives == 0:
        return None
    ranked, tp, ends = _ranked(y, score)
    ok = [k for k in np.flatnonzero(ends) if lower_bound(tp[k], positives) >= recall_goal]
    return None if not ok else float(ranked[min(ok)])


def choose(
    onehot: np.ndarray,
    probs: np.ndarray,
    labels: list[str],
    benign: list[str],
    block_precision: float = 0.9,
    review_recall: float = 0.9,
) -> dict:
    """Thresholds for each moderated (non-benign) label, from validation targets and scores."""
    out = {}
    for j, label in enumerate(labels):
        if label in benign:
            continue
        out[label] = {
            "block": block_threshold(onehot[:, j], probs[:, j], block_precision),
            "review": review_threshold(onehot[:, j], probs[:, j], review_recall),
        }
    return {
        "goals": {"block_precision": block_precision, "review_recall": review_recall},
        "labels": out,
    }


def moderate(scores: dict[str, float], thresholds: dict) -> tuple[str, list[dict]]:
    """("allow" | "review" | "block", the labels that fired with their level)."""
    fired = []
    for label, t in thresholds["labels"].items():
        score = scores[label]
        if t["block"] is not None and score >= t["block"]:
            fired.append({"label": label, "score": score, "level": "block"})
        elif t["review"] is not None and score >= t["review"]:
            fired.append({"label": label, "score": score, "level": "review"})
    levels = {f["level"] for f in fired}
    action = "block" if "block" in levels else "review" if levels else "allow"
    return action, fired

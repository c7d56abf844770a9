"""Per-label decision thresholds chosen on validation for stated goals, and the moderation rule.

`block`: the lowest score threshold whose validation precision reaches the block goal (e.g. 0.9:
automatic removal must rarely be wrong); `review`: the highest threshold whose validation recall
reaches the review goal (e.g. 0.9: human review must see most harmful texts). A goal that cannot
be met leaves that threshold unset (None: never block automatically / review everything flagged).
"""

from __future__ import annotations

import numpy as np


def block_threshold(y: np.ndarray, score: np.ndarray, precision_goal: float) -> float | None:
    """Lowest threshold with precision >= goal (over at least 5 positives predicted)."""
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(y[order] == 1)
    k = np.arange(1, len(y) + 1)
    ok = np.flatnonzero((tp / k >= precision_goal) & (k >= 5))
    return None if not len(ok) else float(score[order][ok.max()])


def review_threshold(y: np.ndarray, score: np.ndarray, recall_goal: float) -> float | None:
    """Highest threshold with recall >= goal."""
    positives = int((y == 1).sum())
    if positives == 0:
        return None
    order = np.argsort(-score, kind="stable")
    tp = np.cumsum(y[order] == 1)
    first = int(np.argmax(tp >= recall_goal * positives))
    return float(score[order][first])


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

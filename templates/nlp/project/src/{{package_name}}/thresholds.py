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

METRIC = {"block": "precision", "review": "recall"}


def threshold(y: np.ndarray, score: np.ndarray, goal: float, level: str) -> float | None:
    """The block (lowest) or review (highest) threshold whose 95% lower bound meets ``goal``;
    only thresholds at the end of a run of tied scores are reachable."""
    order = np.argsort(-score, kind="stable")
    ranked, tp = score[order], np.cumsum(y[order] == 1)
    ends = np.flatnonzero(np.r_[ranked[:-1] > ranked[1:], True])
    n = ends + 1 if level == "block" else np.full(len(ends), int((y == 1).sum()))
    ok = [k for k, m in zip(ends, n, strict=True) if wilson_interval(int(tp[k]), int(m))[0] >= goal]
    return None if not ok else float(ranked[max(ok) if level == "block" else min(ok)])


def choose(
    onehot: np.ndarray,
    probs: np.ndarray,
    labels: list[str],
    benign: list[str],
    block_precision: float = 0.9,
    review_recall: float = 0.9,
) -> dict:
    """Thresholds for each moderated (non-benign) label, from validation targets and scores."""
    goals = {"block": block_precision, "review": review_recall}
    return {
        "goals": {"block_precision": block_precision, "review_recall": review_recall},
        "labels": {
            label: {
                level: threshold(onehot[:, j], probs[:, j], g, level) for level, g in goals.items()
            }
            for j, label in enumerate(labels)
            if label not in benign
        },
    }


def on_test(
    onehot: np.ndarray, probs: np.ndarray, labels: list[str], thresholds: dict
) -> tuple[dict, list[str]]:
    """Precision and recall (Wilson intervals) of each validation-chosen threshold on test, and
    a warning for each whose test interval lies wholly under its goal."""
    out, warnings = {}, []
    for label, levels in thresholds["labels"].items():
        y, s = onehot[:, labels.index(label)], probs[:, labels.index(label)]
        out[label] = dict.fromkeys(levels)
        for level, t in ((level, t) for level, t in levels.items() if t is not None):
            fired = s >= t
            tp, n_fired, pos = int((fired & (y == 1)).sum()), int(fired.sum()), int(y.sum())
            out[label][level] = r = {
                "threshold": t,
                "fired": n_fired,
                "precision": tp / n_fired if n_fired else float("nan"),
                "precision_ci": wilson_interval(tp, n_fired),
                "recall": tp / pos if pos else float("nan"),
                "recall_ci": wilson_interval(tp, pos),
            }
            metric = METRIC[level]
            (low, high), goal = r[f"{metric}_ci"], thresholds["goals"][f"{level}_{metric}"]
            if high < goal:
                warnings.append(
                    f"{label} {level}: test {metric} 95% interval {low:.2f}-{high:.2f} is under "
                    f"the goal {goal} (chosen on validation); do not trust this threshold"
                )
    return out, warnings


def moderate(scores: dict[str, float], thresholds: dict) -> tuple[str, list[dict]]:
    """("allow" | "review" | "block", the labels that fired with their level)."""
    fired = []
    for label, t in thresholds["labels"].items():
        level = next(
            (x for x in ("block", "review") if t[x] is not None and scores[label] >= t[x]), None
        )
        if level:
            fired.append({"label": label, "score": scores[label], "level": level})
    levels = {f["level"] for f in fired}
    action = "block" if "block" in levels else "review" if levels else "allow"
    return action, fired

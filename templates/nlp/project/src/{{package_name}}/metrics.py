"""Decision rules and metrics, and the test figures with 95% bootstrap intervals."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from .stats import bootstrap_interval, paired_bootstrap


def decide(probs: np.ndarray, multilabel: bool, threshold: float = 0.5) -> np.ndarray:
    """Multi-class: the arg-max class index. Multi-label: 0/1 per label at ``threshold``."""
    return (probs >= threshold).astype(np.int64) if multilabel else probs.argmax(1)


def macro_f1(y: np.ndarray, probs: np.ndarray, multilabel: bool) -> float:
    """Macro-averaged F1 of the default decision rule."""
    labels = None if multilabel else np.arange(probs.shape[1])
    pred = decide(probs, multilabel)
    return float(f1_score(y, pred, labels=labels, average="macro", zero_division=0))


def accuracy(y: np.ndarray, probs: np.ndarray, multilabel: bool) -> float:
    """Multi-class accuracy; for multi-label, the share of rows with every label right."""
    right = decide(probs, multilabel) == y
    return float(right.all(1).mean() if multilabel else right.mean())


def interval(metric, *arrays, n_boot: int) -> dict:
    """``metric`` on ``arrays`` with its 95% bootstrap interval (seeded)."""
    point, low, high = bootstrap_interval(metric, *arrays, n_boot=n_boot, seed=0)
    return {"value": point, "low": low, "high": high}


def summary(y: np.ndarray, probs: np.ndarray, multilabel: bool, n_boot: int) -> dict:
    """Macro-F1 and accuracy with their intervals."""
    return {
        name: interval(lambda y, p, fn=fn: fn(y, p, multilabel), y, probs, n_boot=n_boot)
        for name, fn in (("macro_f1", macro_f1), ("accuracy", accuracy))
    }


def versus(
    y: np.ndarray, a: np.ndarray, b: np.ndarray, multilabel: bool, n_boot: int = 1000
) -> dict:
    """Paired bootstrap of macro-F1(a) - macro-F1(b) on the same resampled rows."""
    point, low, high = paired_bootstrap(
        lambda y, p: macro_f1(y, p, multilabel), (y, a), (y, b), n_boot=n_boot, seed=0
    )
    return {"value": point, "low": low, "high": high, "n": len(y)}

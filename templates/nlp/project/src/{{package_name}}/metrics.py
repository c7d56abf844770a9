"""Decision rules and metrics, and the test figures with 95% bootstrap intervals."""

from __future__ import annotations

from functools import partial

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    precision_score,
    recall_score,
    roc_auc_score,
)

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


def _interval(metric, *arrays, n_boot: int) -> dict:
    point, low, high = bootstrap_interval(metric, *arrays, n_boot=n_boot, seed=0)
    return {"value": point, "low": low, "high": high}


def _if_both_classes(fn):
    return lambda y, s: fn(y, s) if 0 < y.sum() < len(y) else float("nan")


PER_LABEL = {  # name: (metric, reads scores rather than decisions)
    "precision": (partial(precision_score, zero_division=0), False),
    "recall": (partial(recall_score, zero_division=0), False),
    "f1": (partial(f1_score, zero_division=0), False),
    "pr_auc": (_if_both_classes(average_precision_score), True),
    "roc_auc": (_if_both_classes(roc_auc_score), True),
}


def per_label(
    onehot: np.ndarray, probs: np.ndarray, labels: list[str], multilabel: bool, n_boot: int
) -> dict:
    """Support, precision, recall, F1 (default decision), PR-AUC and ROC-AUC of each label."""
    pred = decide(probs, multilabel)
    pred = pred if multilabel else np.eye(len(labels), dtype=np.int64)[pred]
    return {
        label: {"support": int(onehot[:, j].sum())}
        | {
            name: _interval(fn, onehot[:, j], (probs if scores else pred)[:, j], n_boot=n_boot)
            for name, (fn, scores) in PER_LABEL.items()
        }
        for j, label in enumerate(labels)
    }


def summary(y: np.ndarray, probs: np.ndarray, multilabel: bool, n_boot: int) -> dict:
    """Macro-F1 and accuracy with their intervals."""
    return {
        name: _interval(lambda y, p, fn=fn: fn(y, p, multilabel), y, probs, n_boot=n_boot)
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

"""Decision rules and metrics shared by training, evaluation and the baseline."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score


def decide(probs: np.ndarray, multilabel: bool, threshold: float = 0.5) -> np.ndarray:
    """Multi-class: the arg-max class index. Multi-label: 0/1 per label at ``threshold``."""
    return (probs >= threshold).astype(np.int64) if multilabel else probs.argmax(1)


def macro_f1(y: np.ndarray, probs: np.ndarray, multilabel: bool) -> float:
    """Macro-averaged F1 of the default decision rule."""
    pred = decide(probs, multilabel)
    if multilabel:
        return float(f1_score(y, pred, average="macro", zero_division=0))
    labels = np.arange(probs.shape[1])
    return float(f1_score(y, pred, labels=labels, average="macro", zero_division=0))


def accuracy(y: np.ndarray, probs: np.ndarray, multilabel: bool) -> float:
    """Multi-class accuracy; for multi-label, the share of rows with every label right."""
    pred = decide(probs, multilabel)
    return float((pred == y).all(1).mean() if multilabel else (pred == y).mean())

"""Temperature scaling fitted on the validation split (never test): the probabilities that the
API, `evaluate` and the demo show are softmax(logits / T) (sigmoid per label for multi-label),
with the T that `train` saved in metadata.json. NumPy only: serving applies it too."""

from __future__ import annotations

import numpy as np

# log-spaced candidates, then a finer grid around the best: deterministic, no optimiser needed
GRID = np.exp(np.linspace(np.log(0.05), np.log(20.0), 241))


def to_probs(logits: np.ndarray, multilabel: bool, temperature: float = 1.0) -> np.ndarray:
    """Probabilities (n, labels) of ``logits / temperature``."""
    x = np.asarray(logits, dtype=np.float64) / temperature
    if multilabel:
        return 1 / (1 + np.exp(-x))
    z = np.exp(x - x.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, multilabel: bool, temperature: float) -> float:
    """Mean negative log-likelihood of the labels under ``logits / temperature``."""
    x = np.asarray(logits, dtype=np.float64) / temperature
    if multilabel:  # binary cross-entropy per (row, label), log(1 + e^-x) computed stably
        return float((np.logaddexp(0, x) - y * x).mean())
    top = x.max(1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(x - top).sum(1))
    return float((log_norm - x[np.arange(len(y)), y]).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray, multilabel: bool) -> float:
    """The T > 0 that minimises the validation NLL (1.0 when there is nothing to fit on)."""
    if not len(y):
        return 1.0
    coarse = GRID[int(np.argmin([nll(logits, y, multilabel, t) for t in GRID]))]
    fine = coarse * np.exp(np.linspace(-0.03, 0.03, 61))
    return round(float(fine[int(np.argmin([nll(logits, y, multilabel, t) for t in fine]))]), 4)


def temperature_of(meta: dict, arm: str) -> float:
    """The temperature `train` fitted for ``arm`` (transformer or baseline); 1.0 before any."""
    return float(meta.get("calibration", {}).get(arm, {}).get("temperature", 1.0))

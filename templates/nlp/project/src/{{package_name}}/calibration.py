"""Temperature scaling fitted on the validation split (never test), and the calibration error.
The API, `evaluate` and the demo show softmax(logits / T) (a sigmoid per label for multi-label)
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
    log_norm = np.logaddexp.reduce(x, axis=1)
    return float((log_norm - x[np.arange(len(y)), y]).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray, multilabel: bool) -> float:
    """The T > 0 that minimises the validation NLL."""
    coarse = GRID[int(np.argmin([nll(logits, y, multilabel, t) for t in GRID]))]
    fine = coarse * np.exp(np.linspace(-0.03, 0.03, 61))
    return round(float(fine[int(np.argmin([nll(logits, y, multilabel, t) for t in fine]))]), 4)


def temperature_of(meta: dict, arm: str) -> float:
    """The temperature `train` fitted for ``arm`` (transformer or baseline)."""
    return float(meta["calibration"][arm]["temperature"])


def calibration(onehot: np.ndarray, probs: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error and reliability bins over all (row, label) scores; Brier score."""
    y, s = onehot.ravel().astype(float), probs.ravel()
    which = np.clip((s * bins).astype(int), 0, bins - 1)
    rows = [
        {
            "bin": b,
            "n": int(m.sum()),
            "confidence": float(s[m].mean()),
            "frequency": float(y[m].mean()),
        }
        for b in range(bins)
        if (m := which == b).any()
    ]
    ece = sum(r["n"] * abs(r["confidence"] - r["frequency"]) for r in rows) / len(s)
    return {"ece": float(ece), "brier": float(((s - y) ** 2).mean()), "bins": rows}


def calibrate(logits: np.ndarray, y: np.ndarray, onehot: np.ndarray, multilabel: bool) -> dict:
    """A temperature fitted on these logits (pass validation's), with ECE before and after."""
    t = fit_temperature(logits, y, multilabel)
    ece = [calibration(onehot, to_probs(logits, multilabel, x))["ece"] for x in (1.0, t)]
    return {
        "method": "temperature",
        "temperature": t,
        "n": len(y),
        "ece_before": ece[0],
        "ece_after": ece[1],
        "fitted_on": "validation",
    }

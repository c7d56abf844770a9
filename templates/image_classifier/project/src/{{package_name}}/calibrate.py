"""Temperature scaling (Guo et al., 2017): one scalar T > 0 fitted on the validation split's
logits, never the test split's. Evaluated, exported and served probabilities are all
softmax(logits / T); T leaves the predicted class, so accuracy, unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from . import metrics as m
from .preprocess import softmax

#: T stays in [1/1000, 1000]: only a degenerate model (all logits equal) would go beyond.
T_RANGE = (1e-3, 1e3)


def nll(logits: np.ndarray, targets: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of softmax(logits / temperature)."""
    x = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(targets), dtype=torch.int64)
    return float(F.cross_entropy(x / temperature, y))


def fit_temperature(logits: np.ndarray, targets: np.ndarray) -> float:
    """The T minimising the NLL of softmax(logits / T) on (logits, targets) (L-BFGS on log T).

    The targets get Platt's (1999) prior correction: the true class weighs (n + 1) / (n + 2)
    of n images, not 1. It keeps T finite on a small validation split the model gets all right
    (plain NLL would sharpen without limit) and is negligible on hundreds of images."""
    x = torch.as_tensor(np.asarray(logits), dtype=torch.float64)
    y = torch.as_tensor(np.asarray(targets), dtype=torch.int64)
    k = max(2, x.shape[1])
    smoothing = k / (k - 1) / (len(y) + 2)  # true class: 1 - s + s / k = (n + 1) / (n + 2)
    log_t = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], max_iter=100, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        loss = F.cross_entropy(x / log_t.exp(), y, label_smoothing=smoothing)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp().clamp(*T_RANGE))


def temperature_of(metadata: dict[str, Any]) -> float:
    """The temperature `train` fitted (1.0 for a model without a validation split)."""
    return float(metadata.get("calibration", {}).get("temperature", 1.0))


def calibration_line(record: dict) -> str:
    if not record["n_val"]:
        return "calibration: no validation split, probabilities not calibrated (--val-fraction)"
    return (
        f"calibration: temperature {record['temperature']:.3f} fitted on {record['n_val']} "
        f"validation images (NLL {record['val_nll_before']:.4f} -> {record['val_nll_after']:.4f}, "
        f"ECE {record['val_ece_before']:.4f} -> {record['val_ece_after']:.4f})"
    )


def calibrate_on_validation(val_logits: np.ndarray, val_targets: np.ndarray) -> dict[str, Any]:
    """Fit T on the validation split's logits (as served): the record `train` keeps in
    metadata.json (T, where it was fitted, validation NLL and ECE before and after). A T that
    would raise the validation NLL (the prior correction, on a few images all right) is 1."""
    n = len(val_targets)
    if n == 0:
        return {"temperature": 1.0, "fitted_on": None, "n_val": 0}
    temperature = fit_temperature(val_logits, val_targets)
    if nll(val_logits, val_targets, temperature) >= nll(val_logits, val_targets):
        temperature = 1.0
    return {
        "temperature": temperature,
        "fitted_on": "validation",
        "n_val": n,
        "val_nll_before": nll(val_logits, val_targets),
        "val_nll_after": nll(val_logits, val_targets, temperature),
        "val_ece_before": m.calibration(val_targets, softmax(val_logits))["ece"],
        "val_ece_after": m.calibration(val_targets, softmax(val_logits / temperature))["ece"],
    }

"""The baseline gate: the fine-tuned transformer is served only when it beats the TF-IDF
baseline on validation by a margin whose paired 95% bootstrap interval excludes 0; otherwise
the baseline is served and every report says so. `train --serve` overrides the choice."""

from __future__ import annotations

import numpy as np

from .stats import paired_bootstrap

CHOICES = ("auto", "transformer", "baseline")


def compare(
    y: np.ndarray, model: np.ndarray, baseline: np.ndarray, multilabel: bool, n_boot: int = 1000
) -> dict:
    """Validation macro-F1 of transformer minus baseline, paired bootstrap 95% interval."""
    from .metrics import macro_f1

    point, low, high = paired_bootstrap(
        lambda y, p: macro_f1(y, p, multilabel), (y, model), (y, baseline), n_boot=n_boot, seed=0
    )
    return {"value": point, "low": low, "high": high, "n": len(y), "split": "validation"}


def decide(difference: dict, serve: str = "auto") -> dict:
    """Which model `serve` answers with, and why, in plain words."""
    if serve not in CHOICES:
        raise ValueError(f"--serve {serve}: choose one of {', '.join(CHOICES)}")
    d = difference
    interval = (
        f"validation macro-F1 difference {d['value']:+.4f}, paired 95% interval "
        f"[{d['low']:+.4f}, {d['high']:+.4f}] on {d['n']} texts"
    )
    wins = d["low"] > 0
    if serve != "auto":
        served = serve
        why = f"asked for with --serve {serve}"
        if (served == "transformer") != wins:
            why += " (the gate would have chosen the other model)"
    elif wins:
        served, why = "transformer", "it beats the baseline: the interval excludes 0"
    else:
        served = "baseline"
        why = (
            "the transformer does not beat the baseline (the interval "
            + ("lies below 0" if d["high"] < 0 else "includes 0")
            + "); `train --serve transformer` serves it anyway"
        )
    return {"served": served, "option": serve, "reason": why, "difference": d, "text": interval}


def served_arm(meta: dict) -> str:
    """The model `train` chose to serve (metadata of projects before the gate: the transformer)."""
    return (meta.get("gate") or {}).get("served", "transformer")


def why(gate: dict) -> str:
    """Why the served model is served, with the interval."""
    return f"{gate['reason']} ({gate['text']})"


def describe(gate: dict) -> str:
    """One line: what is served and why, with the interval."""
    return f"serving the {gate['served']}: {why(gate)}"

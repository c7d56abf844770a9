"""Error analysis: the most confident mistakes, and slices (identity terms, short vs long texts)."""

from __future__ import annotations

import re

import numpy as np

from .metrics import macro_f1
from .stats import bootstrap_interval

_IDENTITY = re.compile(
    r"\b(woman|women|man|men|girl|boy|female|male|gay|lesbian|bisexual|trans|transgender|queer|"
    r"black|white|asian|latino|latina|hispanic|african|arab|jewish|jew|muslim|christian|hindu|"
    r"buddhist|atheist|immigrant|disabled|old|young)\b",
    re.IGNORECASE,
)


def confident_mistakes(
    texts: list[str],
    y: np.ndarray,
    probs: np.ndarray,
    labels: list[str],
    multilabel: bool,
    k: int = 10,
) -> list[dict]:
    """The ``k`` wrong predictions made with the highest confidence."""
    rows = []
    if multilabel:
        wrong = (probs >= 0.5).astype(int) != y
        conf = np.where(wrong, np.abs(probs - 0.5) * 2, -1).max(1)
        for i in np.argsort(-conf)[:k]:
            if conf[i] < 0:
                break
            j = int(np.argmax(np.where(wrong[i], np.abs(probs[i] - 0.5), -1)))
            rows.append(
                {
                    "text": texts[i],
                    "label": labels[j],
                    "true": int(y[i, j]),
                    "score": float(probs[i, j]),
                }
            )
        return rows
    pred = probs.argmax(1)
    conf = np.where(pred != y, probs.max(1), -1)
    for i in np.argsort(-conf)[:k]:
        if conf[i] < 0:
            break
        rows.append(
            {
                "text": texts[i],
                "true": labels[y[i]],
                "predicted": labels[pred[i]],
                "score": float(conf[i]),
            }
        )
    return rows


def slice_masks(texts: list[str]) -> dict[str, np.ndarray]:
    words = np.asarray([len(t.split()) for t in texts])
    identity = np.asarray([bool(_IDENTITY.search(t)) for t in texts])
    return {
        "all": np.ones(len(texts), bool),
        "mentions an identity term": identity,
        "no identity term": ~identity,
        "short (<= 10 words)": words <= 10,
        "long (> 30 words)": words > 30,
    }


def slices(
    texts: list[str],
    y: np.ndarray,
    models: dict[str, np.ndarray],
    multilabel: bool,
    n_boot: int = 500,
) -> list[dict]:
    """Macro-F1 (95% interval) of each model on each slice (slices under 20 texts: no interval)."""
    rows = []
    for name, mask in slice_masks(texts).items():
        row: dict = {"slice": name, "n": int(mask.sum())}
        for model, probs in models.items():
            if mask.sum() < 20:
                row[model] = None
                continue
            point, low, high = bootstrap_interval(
                lambda y, p: macro_f1(y, p, multilabel), y[mask], probs[mask], n_boot=n_boot
            )
            row[model] = {"value": point, "low": low, "high": high}
        rows.append(row)
    return rows

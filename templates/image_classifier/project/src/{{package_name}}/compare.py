"""`evaluate --compare DIR`: another trained model (e.g. another width or recipe) scored on exactly
the same test images, with the paired difference to the main model."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as m
from .artifacts import load_trained, served_config
from .data import DataError, load_for_model
from .inference import predict_logits
from .model import ModelConfig
from .paths import display_path


def compare_model(
    other_dir: Path,
    data: str,
    data_dir: str,
    saved: dict[str, Any] | None,
    classes: list[str],
    labels: np.ndarray,
    predictions: np.ndarray,
    device,
    warn: Callable[[str], None],
) -> dict[str, Any]:
    """Scores of the model in ``other_dir`` on the main model's test split (decoded at its own
    input size), and the main model minus it (paired bootstrap)."""
    model, meta = load_trained(other_dir, device, served=True)
    if meta["classes"] != classes:
        where = display_path(other_dir)
        raise DataError(f"{where} was trained on other classes: {meta['classes']}")
    dataset = load_for_model(meta, data, data_dir, saved=saved, only=("test",), warn=warn)
    images, other_labels = dataset.split("test")
    if not np.array_equal(other_labels, labels):
        raise DataError(f"{display_path(other_dir)}: the test split differs from the main model's")
    other = predict_logits(model, images, device=device).numpy().argmax(1)
    n = len(classes)
    return {
        "name": ModelConfig.from_dict(served_config(meta)).name,
        "artifacts": display_path(other_dir),
        **m.scored(labels, other, n),
        "main_minus_this": m.paired_difference(labels, predictions, other, n),
    }

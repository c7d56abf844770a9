"""The baseline gate of `train`: the model is served only if it beats a baseline that can be served.

The baseline is a multinomial logistic regression on the pixels (model.PixelLogistic), fitted on
the model's own training batches (under torchrun: the main process's share) and exported, checked
and served by the same code. Both are scored on the validation split, paired (the same images,
bootstrap). ``serve="auto"`` serves the model only when the 95% interval of its accuracy minus
the baseline's lies above 0, else the baseline; ``"model"`` or ``"baseline"`` decides instead.
The decision and its figures go into metadata.json (``served``, ``gate``), hence into `evaluate`'s
metrics, the README and the model card.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from . import metrics as m
from .calibrate import calibrate_on_validation, calibration_line
from .inference import channel_stats, predict_logits
from .model import ModelConfig, PixelLogistic

SERVE_CHOICES = ("auto", "model", "baseline")
BASELINE_EPOCHS = 10
BASELINE_NAME = ModelConfig(1, arch="logistic").name


def fit_pixel_logistic(
    batches: Any, sample: np.ndarray, classes: int, size: int, device: torch.device, seed: int
) -> tuple[nn.Module, ModelConfig]:
    """The baseline, trained with Adam on ``batches`` (uint8, no augmentation); ``sample``: the
    training images its channel statistics come from."""
    torch.manual_seed(seed)
    mean, std = channel_stats(sample)
    config = ModelConfig(classes, sample.shape[1], 0, mean, std, "logistic", image_size=size)
    model = PixelLogistic(config).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, BASELINE_EPOCHS * batches.steps
    )
    model.train()
    for epoch in range(BASELINE_EPOCHS):
        for images, labels in batches.epoch(epoch):
            loss = F.cross_entropy(model(images.float() / 255), labels)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
    return model.eval(), config


def decide(serve: str, diff: dict[str, float] | None) -> tuple[str, str]:
    """What to serve, and why, from the validation accuracy of the model minus the baseline's."""
    if serve != "auto":
        return serve, f"--serve {serve}"
    if diff is None:
        return "model", "no validation split to compare it with the baseline on (--val-fraction)"
    if diff["low"] > 0:
        return "model", "it beats the baseline on validation: 95% interval above 0"
    if diff["high"] < 0:
        return "baseline", "the baseline is better on validation: 95% interval below 0"
    tie = "the model does not beat the baseline on validation: 95% interval includes 0"
    return "baseline", tie


def gate_line(gate: dict[str, Any]) -> str:
    """One plain line: what is served, why, and the paired figures behind it."""
    line = f"served: the {gate['served']} ({gate['reason']})"
    if (diff := gate["model_minus_baseline"]) is not None:
        line += (
            f"; validation accuracy {gate['model_accuracy']:.4f} (model) vs "
            f"{gate['baseline_accuracy']:.4f} ({gate['baseline']}), model minus baseline "
            f"{diff['value']:+.4f} (95% CI {diff['low']:+.4f} to {diff['high']:+.4f}, paired "
            f"bootstrap over {gate['n_val']} images)"
        )
    if gate["served"] == "baseline" and gate["requested"] == "auto":
        line += "; `train --serve model` serves the model anyway"
    return line


def choose_served(
    serve: str,
    candidates: dict[str, nn.Module],
    val_x: Any,
    val_y: np.ndarray,
    predict: Callable[[nn.Module, Any], torch.Tensor],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Score the model and the baseline on validation, calibrate each, decide what is served.

    Returns the metadata entries: ``served``, ``gate``, ``calibration`` (the served one's), and
    ``val_correct``: 1.0 or 0.0 per validation image for what is served (not metadata)."""
    logits = {
        name: predict(model, val_x) if len(val_y) else torch.zeros(0, 1)
        for name, model in candidates.items()
    }
    calibrations = {k: calibrate_on_validation(v.numpy(), val_y) for k, v in logits.items()}
    diff, scores, correct = None, {k: None for k in logits}, {}
    if len(val_y):
        preds = {k: v.argmax(1).numpy() for k, v in logits.items()}
        scores = {k: m.accuracy(val_y, p) for k, p in preds.items()}
        n_classes = int(logits["model"].shape[1])
        paired = m.paired_difference(val_y, preds["model"], preds["baseline"], n_classes)
        diff = paired["accuracy"]
        correct = {k: (p == val_y).astype(float) for k, p in preds.items()}
    served, reason = decide(serve, diff)
    gate = {
        "served": served, "requested": serve, "reason": reason, "baseline": BASELINE_NAME,
        "n_val": len(val_y), "model_accuracy": scores["model"],
        "baseline_accuracy": scores["baseline"], "model_minus_baseline": diff,
    }  # fmt: skip
    log(gate_line(gate))
    log(calibration_line(calibrations[served]))
    return {
        "served": served, "gate": gate, "calibration": calibrations[served],
        "val_correct": correct.get(served, np.zeros(0)),
    }  # fmt: skip


def predictor(device: torch.device, amp: bool, channels_last: bool):
    """Single-pass validation logits, as `evaluate` scores and the API serves."""

    def predict(model: nn.Module, images: Any) -> torch.Tensor:
        return predict_logits(model, images, device=device, amp=amp, channels_last=channels_last)

    return predict

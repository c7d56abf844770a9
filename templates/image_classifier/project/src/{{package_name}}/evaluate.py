"""`evaluate`: score the saved model once on the saved test split, beside pixel baselines.

Writes reports/metrics.json (accuracy and macro-F1 with 95% intervals, the paired difference to
the best baseline, the ECE before and after the temperature `train` fitted on the validation
split, per-class table, confusion matrix, the most confidently wrong images; every probability
calibrated, as served) and the PNG plots; records the headline figures in
artifacts/metadata.json for the API.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from . import metrics as m
from . import plots
from .artifacts import HISTORY_FILE, load_trained, served_config, write_metadata
from .baselines import MAX_TRAIN, fit_baselines
from .calibrate import temperature_of
from .compare import compare_model
from .data import DataError, load_for_model
from .devices import pick_device
from .inference import predict_logits
from .model import ModelConfig
from .paths import display_path
from .preprocess import softmax
from .splits import read_split

METRICS_FILE = "metrics.json"
PREDICTIONS_FILE = "predictions.csv"
log = logging.getLogger(__name__)


def _flat(figures: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("accuracy", "macro_f1"):
        out[name] = figures[name]["value"]
        out[f"{name}_95"] = [figures[name]["low"], figures[name]["high"]]
    return out


def write_predictions(
    path: Path, names: list[str] | None, labels: np.ndarray, probs: np.ndarray, classes: list[str]
) -> Path:
    """One row per test image: file, true and predicted class, the predicted class's probability."""
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "true", "predicted", "probability"])
        for i, (label, p) in enumerate(zip(labels, probs, strict=True)):
            top = int(p.argmax())
            name = names[i] if names else str(i)
            writer.writerow([name, classes[label], classes[top], f"{p[top]:.6f}"])
    return path


def evaluate(
    out_dir: Path,
    reports: Path,
    *,
    data: str | None = None,
    data_dir: str = "data",
    device: str = "auto",
    warn: Callable[[str], None] = log.warning,
    progress: bool = True,
    compare: Sequence[Path] = (),
) -> dict[str, Any]:
    """Score the model in ``out_dir`` on its test split; write the reports; return the metrics.

    Each folder in ``compare`` holds another trained model, scored on the same test images."""
    dev = pick_device(device)
    model, meta = load_trained(out_dir, dev, served=True)  # the model, or the baseline
    cfg = meta["train_config"]
    saved = read_split(out_dir)
    dataset = load_for_model(
        meta, data, data_dir, saved=saved, only=("train", "test"), warn=warn, progress=progress,
        limits={"train": MAX_TRAIN},  # what the baselines use at most (packed data)
    )  # fmt: skip
    if dataset.classes != meta["classes"]:
        raise DataError(f"the data's classes differ from the model's: {meta['classes']}")
    images, labels = dataset.split("test")
    if not len(labels):
        raise DataError("the test split is empty: add a test/ folder or use --test-fraction")
    classes, n = dataset.classes, len(dataset.classes)
    single = predict_logits(model, images, device=dev).numpy()
    temperature = temperature_of(meta)  # fitted on the validation split by `train`
    probs = softmax(single / temperature)  # what the API serves
    preds = probs.argmax(1)
    result: dict[str, Any] = {
        "data": display_path(dataset.source),
        "model": {
            "name": ModelConfig.from_dict(served_config(meta)).name,
            **m.scored(labels, preds, n),
        },
        **m.classification_report(labels, preds, classes),
    }
    if meta["tta_flip"]:  # the mirrored pass only: the single pass is reused
        mirrored = predict_logits(model, images[..., ::-1].copy(), device=dev).numpy()
        result["flip_tta"] = m.scored(labels, ((single + mirrored) / 2).argmax(1), n)
    train_x, train_y = dataset.split("train")
    fitted = fit_baselines(train_x, train_y, images, seed=cfg["seed"])
    result["baselines"] = {
        name: {
            **m.scored(labels, b["predictions"], n),
            "seconds": round(b["seconds"], 2),
            "n_train": b["n_train"],
        }
        for name, b in fitted.items()
    }
    best = max(result["baselines"], key=lambda k: result["baselines"][k]["accuracy"]["value"])
    result["best_baseline"] = best
    result["vs_best_baseline"] = m.paired_difference(labels, preds, fitted[best]["predictions"], n)
    source = data or meta["data"]
    result["compared"] = [
        compare_model(other, source, data_dir, saved, classes, labels, preds, dev, warn)
        for other in compare
    ]
    result["calibration"] = {
        **m.calibration(labels, probs),
        "ece_before": m.calibration(labels, softmax(single))["ece"],
        **meta.get("calibration", {"temperature": 1.0, "fitted_on": None}),
    }
    wrong = m.most_confident_errors(labels, probs)
    names = dataset.files.get("test")
    result["confident_errors"] = [
        {
            "file": names[i] if names else f"test image {i}",
            "true": classes[labels[i]],
            "predicted": classes[preds[i]],
            "confidence": float(probs[i].max()),
        }
        for i in wrong
    ]
    result.update(
        served=meta.get("served", "model"),
        gate=meta.get("gate"),
        model_version=meta.get("model_version", ""),
        train_seconds=meta.get("train_seconds"),
        device=meta.get("device", cfg["device"]),
        skipped_files=dataset.skipped,
        data_notes=dataset.notes,
        evaluated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    reports.mkdir(parents=True, exist_ok=True)
    write_predictions(reports / PREDICTIONS_FILE, names, labels, probs, classes)
    (reports / METRICS_FILE).write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    history_path = out_dir / HISTORY_FILE
    history = json.loads(history_path.read_text()) if history_path.is_file() else []
    if history:
        plots.plot_learning_curves(history, reports / plots.CURVES_PNG)
    plots.plot_confusion_matrix(
        np.asarray(result["confusion_matrix"]), classes, reports / plots.CONFUSION_PNG
    )
    plots.plot_reliability(result["calibration"], reports / plots.RELIABILITY_PNG)
    plots.plot_errors(images, wrong, labels, probs, classes, reports / plots.ERRORS_PNG, names)
    tests = {**_flat(result["model"]), "n_test": result["n_test"]}
    if "flip_tta" in result:
        tests["flip_tta"] = _flat(result["flip_tta"])
    meta["test_metrics"] = tests
    write_metadata(out_dir, meta)
    return result


def summary_lines(m: dict[str, Any]) -> list[str]:
    """What `evaluate` prints: the test figures with intervals, the best baseline, comparisons."""
    acc, f1 = m["model"]["accuracy"], m["model"]["macro_f1"]
    diff = m["vs_best_baseline"]["accuracy"]
    lines = [
        f"test accuracy {acc['value']:.4f} (95% CI {acc['low']:.4f}-{acc['high']:.4f}), "
        f"macro F1 {f1['value']:.4f} ({f1['low']:.4f}-{f1['high']:.4f}) on {m['n_test']} images",
        f"vs best baseline ({m['best_baseline']}): accuracy {diff['value']:+.4f} "
        f"(95% CI {diff['low']:+.4f} to {diff['high']:+.4f}); ECE {m['calibration']['ece']:.3f}",
    ]
    for other in m["compared"]:
        d = other["main_minus_this"]["accuracy"]
        lines.append(
            f"{other['name']} ({other['artifacts']}): accuracy {other['accuracy']['value']:.4f}; "
            f"this model minus it {d['value']:+.4f} (95% CI {d['low']:+.4f} to {d['high']:+.4f})"
        )
    return lines

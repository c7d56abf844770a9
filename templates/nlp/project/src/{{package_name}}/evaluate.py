"""`evaluate`: score the saved fine-tuned model and the baseline on the saved test split; write
reports/metrics.json and a calibration plot."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from . import analysis, scoring
from .artifacts import METADATA_FILE, write_json
from .config import TrainConfig
from .datasets import load_dataset
from .ledger import DataError
from .train import BASELINE_FILE, MODEL_DIR, SPLIT_FILE

METRICS_FILE, CALIBRATION_PLOT = "metrics.json", "calibration.png"
# a model trained before calibration: served as it is (temperature 1) until it is retrained
UNCALIBRATED = {"method": "none", "temperature": 1.0, "fitted_on": "none: retrain to calibrate"}


def load_split(out_dir: Path, lines: np.ndarray) -> dict[str, np.ndarray]:
    """Indices of each saved split, matched by line number; refuses data that changed."""
    path = out_dir / SPLIT_FILE
    if not path.is_file():
        raise DataError(f"no {path}: run `train` first")
    with path.open(newline="") as handle:
        saved = {int(r["line"]): r["split"] for r in csv.DictReader(handle)}
    where = {int(line): i for i, line in enumerate(lines)}
    if missing := [line for line in saved if line not in where]:
        raise DataError(f"the data changed since training: line {missing[0]} is gone")
    parts: dict[str, list[int]] = {"train": [], "val": [], "test": []}
    for line, name in saved.items():
        parts[name].append(where[line])
    return {k: np.asarray(sorted(v), dtype=np.int64) for k, v in parts.items()}


class Scorer:
    """The saved fine-tuned model with its tokenizer; ``probs(texts)`` as `train` computed them,
    with the temperature `train` fitted on validation (as served)."""

    def __init__(self, out_dir: Path, device: str = "cpu") -> None:
        import torch
        from transformers import AutoTokenizer, DataCollatorWithPadding

        from .model import TextClassifier

        self.meta = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
        self.tokenizer = AutoTokenizer.from_pretrained(out_dir / MODEL_DIR)
        self.device = torch.device(device)
        self.model = TextClassifier.load(out_dir / MODEL_DIR).to(self.device)
        self.collate = DataCollatorWithPadding(self.tokenizer, return_tensors="pt")

    def probs(self, texts: list[str], calibrated: bool = True) -> np.ndarray:
        """Probabilities with the validation temperature (``calibrated``) or without it."""
        from .calibration import temperature_of
        from .finetune import encode, predict_proba

        ids = encode(self.tokenizer, texts, self.meta["max_length"])
        t = temperature_of(self.meta, "transformer") if calibrated else 1.0
        return predict_proba(self.model, self.collate, ids, self.meta["multilabel"], self.device, t)


def evaluate(out_dir: Path, reports: Path, data: str | None = None, n_boot: int = 1000) -> dict:
    """All test figures for both models; returns and writes the metrics."""
    import joblib

    from .baseline import predict_proba
    from .calibration import temperature_of
    from .gate import served_arm

    if not (out_dir / METADATA_FILE).is_file():
        raise DataError(f"no trained model in {out_dir}: run `train` first")
    scorer = Scorer(out_dir)
    meta = scorer.meta
    cfg = TrainConfig.from_dict({**meta["train_config"], "download": False}, strict=False)
    if data:
        cfg.data = data
    dataset = load_dataset(cfg)
    if dataset.labels != meta["labels"]:
        raise DataError(
            f"the data's labels {dataset.labels} differ from the model's {meta['labels']}"
        )
    parts = load_split(out_dir, dataset.lines)
    if not len(parts["test"]):
        raise DataError("the test split is empty: add test rows to the split column")
    test = dataset.subset(parts["test"])
    multilabel, labels = meta["multilabel"], meta["labels"]
    baseline = joblib.load(out_dir / BASELINE_FILE)
    probs = scorer.probs(test.texts)
    base = predict_proba(baseline, test.texts, multilabel, temperature_of(meta, "baseline"))
    raw = {
        "transformer": scorer.probs(test.texts, calibrated=False),
        "baseline": predict_proba(baseline, test.texts, multilabel),
    }
    onehot = test.onehot()
    models = {"transformer": probs, "baseline": base}
    metrics = {
        "n_test": len(test),
        "labels": labels,
        "multilabel": multilabel,
        "benign": meta["benign"],
        "models": {
            name: {
                **scoring.summary(test.y, p, multilabel, n_boot),
                "per_label": scoring.per_label(
                    onehot, p, scoring.predictions(p, multilabel, len(labels)), labels, n_boot
                ),
                "calibration": scoring.calibration(onehot, p),
            }
            for name, p in models.items()
        },
        "calibration": {
            arm: {
                **meta.get("calibration", {}).get(arm, UNCALIBRATED),
                "test_ece_before": scoring.calibration(onehot, raw[arm])["ece"],
                "test_ece_after": scoring.calibration(onehot, p)["ece"],
            }
            for arm, p in models.items()
        },
        "gate": meta.get("gate"),
        "transformer_minus_baseline_macro_f1": scoring.versus(
            test.y, probs, base, multilabel, n_boot
        ),
        "thresholds": {
            "chosen_on": "validation",
            **meta["thresholds"],
            "test": scoring.thresholds_on_test(
                onehot, models[served_arm(meta)], labels, meta["thresholds"]
            ),
        },
        "warnings": [],
        "mistakes": analysis.confident_mistakes(
            test.texts, test.y, models[served_arm(meta)], labels, multilabel
        ),
        "slices": analysis.slices(test.texts, test.y, models, multilabel, n_boot=min(n_boot, 500)),
        "data": meta["data"],
        "train_seconds": meta["train_seconds"],
        "device": meta["device"],
        "model": cfg.model,
        "trained_at": meta["trained_at"],
        "n_boot": n_boot,
    }
    metrics["warnings"] = scoring.warnings(metrics["thresholds"]["test"])
    reports.mkdir(parents=True, exist_ok=True)
    (reports / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    plot_calibration(metrics, reports / CALIBRATION_PLOT)
    meta["test_metrics"] = {
        "macro_f1": metrics["models"]["transformer"]["macro_f1"]["value"],
        "accuracy": metrics["models"]["transformer"]["accuracy"]["value"],
        "baseline_macro_f1": metrics["models"]["baseline"]["macro_f1"]["value"],
        "n_test": len(test),
    }
    write_json(out_dir / METADATA_FILE, meta)
    return metrics


def headline(m: dict) -> str:
    """Test macro-F1 of both models and their paired difference, with 95% intervals."""
    t, b = m["models"]["transformer"]["macro_f1"], m["models"]["baseline"]["macro_f1"]
    d = m["transformer_minus_baseline_macro_f1"]
    return (
        f"test macro-F1 {t['value']:.4f} [{t['low']:.4f}, {t['high']:.4f}], baseline "
        f"{b['value']:.4f}; difference {d['value']:+.4f} [{d['low']:+.4f}, {d['high']:+.4f}] "
        f"on {m['n_test']} texts"
    )


def plot_calibration(metrics: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.5, 4.5))
    ax.plot([0, 1], [0, 1], ":", color="grey", label="perfect")
    for name, m in metrics["models"].items():
        bins = m["calibration"]["bins"]
        ax.plot(
            [b["confidence"] for b in bins],
            [b["frequency"] for b in bins],
            "o-",
            label=f"{name} (ECE {m['calibration']['ece']:.3f})",
        )
    ax.set(
        xlabel="predicted probability (temperature-scaled on validation)",
        ylabel="observed frequency",
        title="Calibration (test)",
    )
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

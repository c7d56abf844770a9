"""Test-set evaluation: accuracy, per-class precision/recall/F1, confusion matrix and plots."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

METRICS_FILE = "metrics.json"
CURVES_PNG = "learning_curves.png"
CONFUSION_PNG = "confusion_matrix.png"


def confusion_matrix(targets: np.ndarray, predictions: np.ndarray, n_classes: int) -> np.ndarray:
    matrix = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(matrix, (targets, predictions), 1)
    return matrix


def classification_metrics(
    targets: np.ndarray, predictions: np.ndarray, classes: list[str]
) -> dict[str, Any]:
    """Accuracy, per-class and macro precision/recall/F1 and the confusion matrix (rows: truth)."""
    matrix = confusion_matrix(targets, predictions, len(classes))
    tp = np.diag(matrix).astype(float)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    precision = np.divide(tp, predicted, out=np.zeros_like(tp), where=predicted > 0)
    recall = np.divide(tp, actual, out=np.zeros_like(tp), where=actual > 0)
    denom = precision + recall
    f1 = np.divide(2 * precision * recall, denom, out=np.zeros_like(tp), where=denom > 0)
    per_class = [
        {
            "class": name,
            "precision": float(precision[i]),
            "recall": float(recall[i]),
            "f1": float(f1[i]),
            "support": int(actual[i]),
        }
        for i, name in enumerate(classes)
    ]
    return {
        "accuracy": float(tp.sum() / max(1, matrix.sum())),
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "macro_f1": float(f1.mean()),
        "n_test": int(matrix.sum()),
        "per_class": per_class,
        "confusion_matrix": matrix.tolist(),
        "classes": classes,
    }


def evaluation_metrics(
    targets: np.ndarray,
    logits: np.ndarray,
    classes: list[str],
    flip_logits: np.ndarray | None = None,
) -> dict[str, Any]:
    """Metrics of the single pass (what the API serves by default) and, given the logits with
    flip test-time augmentation, their accuracy and macro F1 under ``flip_tta``."""
    metrics = classification_metrics(targets, logits.argmax(1), classes)
    if flip_logits is not None:
        flip = classification_metrics(targets, flip_logits.argmax(1), classes)
        metrics["flip_tta"] = {k: flip[k] for k in ("accuracy", "macro_f1")}
    return metrics


def baselines(
    train_labels: np.ndarray, test_labels: np.ndarray, n_classes: int
) -> dict[str, float]:
    """Test accuracy of trivial predictors: the training split's most common class, and chance."""
    result = {"chance": 1 / n_classes}
    if len(train_labels) and len(test_labels):
        majority = np.bincount(train_labels, minlength=n_classes).argmax()
        result["majority_class"] = float((test_labels == majority).mean())
    return result


def plot_learning_curves(history: list[dict[str, float]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    epochs = [row["epoch"] for row in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 4))
    for split in ("train", "val"):
        if history and f"{split}_loss" in history[-1]:
            ax_loss.plot(epochs, [r.get(f"{split}_loss") for r in history], "o-", label=split)
            ax_acc.plot(epochs, [r.get(f"{split}_accuracy") for r in history], "o-", label=split)
    ax_loss.set(title="Loss", xlabel="epoch")
    ax_acc.set(title="Accuracy", xlabel="epoch")
    for ax in (ax_loss, ax_acc):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def plot_confusion_matrix(matrix: np.ndarray, classes: list[str], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = len(classes)
    size = min(16, 3 + 0.5 * n)
    fig, ax = plt.subplots(figsize=(size, size))
    normalised = matrix / np.maximum(1, matrix.sum(axis=1, keepdims=True))
    ax.imshow(normalised, cmap="Blues", vmin=0, vmax=1)
    ax.set(xticks=range(n), yticks=range(n), xlabel="predicted", ylabel="true")
    ax.set_xticklabels(classes, rotation=45, ha="right")
    ax.set_yticklabels(classes)
    if n <= 30:
        for i in range(n):
            for j in range(n):
                colour = "white" if normalised[i, j] > 0.5 else "black"
                ax.text(j, i, str(matrix[i, j]), ha="center", va="center", color=colour, fontsize=8)
    ax.set_title("Confusion matrix (test set)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def write_reports(
    metrics: dict[str, Any], history: list[dict[str, float]], reports: Path
) -> list[Path]:
    reports.mkdir(parents=True, exist_ok=True)
    (reports / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", "utf-8")
    paths = [reports / METRICS_FILE]
    if history:
        paths.append(plot_learning_curves(history, reports / CURVES_PNG))
    matrix = np.asarray(metrics["confusion_matrix"])
    paths.append(plot_confusion_matrix(matrix, metrics["classes"], reports / CONFUSION_PNG))
    return paths


def results_markdown(metrics: dict[str, Any]) -> str:
    """The README results section, built from reports/metrics.json."""
    from .readme import markdown_table

    flip = metrics.get("flip_tta") or {}
    summary = [
        {
            "data": metrics.get("data", ""),
            "test images": metrics["n_test"],
            "accuracy": metrics["accuracy"],
            "macro F1": metrics["macro_f1"],
            "accuracy, flip TTA": flip.get("accuracy", "not used"),
            "majority-class baseline": metrics.get("baselines", {}).get("majority_class", ""),
            "model version": metrics.get("model_version", ""),
        }
    ]
    columns = list(summary[0])
    lines = [
        markdown_table(summary, columns),
        "",
        "Accuracy, F1 and the table below score one pass per image, as the API serves by default;"
        " flip TTA averages with the mirror image (`export --tta` serves it, at twice the cost).",
        "",
        markdown_table(metrics["per_class"], ["class", "precision", "recall", "f1", "support"]),
        "",
    ]
    if metrics.get("train_seconds") is not None:
        lines += [f"Training took {metrics['train_seconds']:.1f} s on {metrics.get('device')}.", ""]
    lines += [
        f"![Learning curves](reports/{CURVES_PNG})",
        "",
        f"![Confusion matrix](reports/{CONFUSION_PNG})",
        "",
        f"_Generated from `reports/{METRICS_FILE}` by the `report` command._",
    ]
    return "\n".join(lines)

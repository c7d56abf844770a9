"""PNG plots of an evaluation: learning curves, confusion matrix, reliability diagram, and a
gallery of the most confidently wrong test images (matplotlib, headless)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CURVES_PNG = "learning_curves.png"
CONFUSION_PNG = "confusion_matrix.png"
RELIABILITY_PNG = "reliability.png"
ERRORS_PNG = "confident_errors.png"


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    if fig.get_layout_engine() is None:  # constrained figures lay themselves out
        fig.tight_layout()
    fig.savefig(path, dpi=100)
    _pyplot().close(fig)
    return path


def plot_learning_curves(history: list[dict[str, float]], path: Path) -> Path:
    from matplotlib.ticker import MaxNLocator

    plt = _pyplot()
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
    return _save(fig, path)


def plot_confusion_matrix(matrix: np.ndarray, classes: list[str], path: Path) -> Path:
    plt = _pyplot()
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
    return _save(fig, path)


def plot_reliability(calibration: dict[str, Any], path: Path) -> Path:
    """Accuracy against calibrated confidence per bin (bars, each labelled with its number of
    images) next to the diagonal of perfect calibration; the ECE before and after the
    temperature in the title."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 5))
    width = 1 / calibration["n_bins"]
    for row in calibration["bins"]:
        ax.bar(
            row["low"],
            row["accuracy"],
            width=width,
            align="edge",
            color="tab:blue",
            edgecolor="white",
            alpha=0.8,
        )
        ax.annotate(
            str(row["count"]),
            (row["low"] + width / 2, row["accuracy"]),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=7,
        )
    ax.plot([0, 1], [0, 1], "k--", label="perfectly calibrated")
    title = f"Reliability (test set), ECE {calibration['ece']:.3f}"
    if "ece_before" in calibration:
        title = (
            f"Reliability (test set), temperature {calibration.get('temperature', 1.0):.2f}\n"
            f"ECE {calibration['ece_before']:.3f} before, {calibration['ece']:.3f} after"
        )
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1.08),
        xlabel="confidence (calibrated top-1 probability)",
        ylabel="accuracy (number of images above each bar)",
        title=title,
    )
    ax.legend(loc="upper left")
    return _save(fig, path)


def plot_errors(
    images: np.ndarray,
    indices: np.ndarray,
    targets: np.ndarray,
    probabilities: np.ndarray,
    classes: list[str],
    path: Path,
    names: list[str] | None = None,
) -> Path:
    """A grid of test images at ``indices`` captioned true / predicted (confidence)."""
    plt = _pyplot()
    n = max(1, len(indices))
    cols = min(4, n)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(  # constrained: captions never reach the row above
        rows, cols, figsize=(2.6 * cols, 3.2 * rows), squeeze=False, layout="constrained"
    )
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, indices, strict=False):
        image = images[i]
        shown = image[0] if image.shape[0] == 1 else image.transpose(1, 2, 0)
        ax.imshow(shown, cmap="gray" if image.shape[0] == 1 else None, vmin=0, vmax=255)
        pred = int(probabilities[i].argmax())
        caption = f"true {classes[targets[i]]}\npred {classes[pred]} ({probabilities[i, pred]:.2f})"
        if names:
            caption += f"\n{Path(names[i]).name[:24]}"
        ax.set_title(caption, fontsize=8)
    if not len(indices):
        axes.flat[0].text(0.5, 0.5, "no wrong predictions", ha="center", va="center")
    fig.suptitle("Most confidently wrong test images", fontsize=10)
    return _save(fig, path)

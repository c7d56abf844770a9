"""reports/: metrics.json and a Markdown comparison table from one run's summary; the bar chart
is drawn by `report`, together with the README that shows it."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import METRICS
from .readme import markdown_table

LABELS = {
    "precision": "Precision",
    "recall": "Recall",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "Hit rate",
    "coverage": "Coverage",
    "novelty": "Novelty",
}


def _interval(result: dict) -> str:
    low, high = result.get("ndcg_ci95") or (None, None)
    return f"{low:.4f}-{high:.4f}" if low is not None else ""


def comparison_table(summary: dict) -> str:
    """Test figures of every model, best NDCG first, with validation NDCG beside them."""
    k = summary["k"]
    columns = ["model", "val NDCG", *(f"{LABELS[m]}@{k}" for m in METRICS), "NDCG 95% CI"]
    rows = []
    validation = summary.get("validation", {})
    ranked = sorted(summary["models"].items(), key=lambda kv: -kv[1]["ndcg"])
    for name, result in ranked:
        label = f"**{name}** (served)" if name == summary.get("served_model") else name
        row = {"model": label, "NDCG 95% CI": _interval(result)}
        if name in validation:
            row["val NDCG"] = float(validation[name]["ndcg"])
        row.update({f"{LABELS[m]}@{k}": float(result.get(m, 0.0)) for m in METRICS})
        rows.append(row)
    return markdown_table(rows, columns)


def activity_table(summary: dict) -> str:
    """NDCG@k of every model for light, medium and heavy users (terciles of training history)."""
    rows = []
    for name, result in summary["models"].items():
        buckets = result.get("ndcg_by_activity") or {}
        row: dict[str, object] = {"model": name}
        for bucket, info in buckets.items():
            row[f"{bucket} ({info['users']} users)"] = (
                float(info["ndcg"]) if info["ndcg"] is not None else "-"
            )
        rows.append(row)
    columns = list(dict.fromkeys(c for r in rows for c in r))
    return markdown_table(rows, columns)


def plot_metrics(summary: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shown = [m for m in METRICS if m != "novelty"]
    names = list(summary["models"])
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(shown))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for i, name in enumerate(names):
        result = summary["models"][name]
        values = np.array([result.get(m, 0.0) for m in shown])
        # 95% bootstrap interval over test users (coverage is one figure per run: no bar)
        bounds = np.array(
            [result.get(f"{m}_ci95") or (v, v) for m, v in zip(shown, values, strict=True)]
        )
        errors = np.clip([values - bounds[:, 0], bounds[:, 1] - values], 0, None)
        ax.bar(x + i * width - 0.4 + width / 2, values, width, yerr=errors, capsize=2, label=name)
    ax.set_xticks(x, [f"{LABELS[m]}@{summary['k']}" for m in shown])
    ax.set_ylabel("test score with 95% interval (higher is better)")
    ax.set_title(f"{summary['dataset']}, {summary['split']} split: models side by side")
    ax.legend(ncols=4, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def write_reports(folder: Path, summary: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", "utf-8")
    (folder / "comparison.md").write_text(comparison_table(summary) + "\n", "utf-8")

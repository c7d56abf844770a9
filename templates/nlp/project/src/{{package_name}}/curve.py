"""`learning-curve`: baseline vs transformer at several training-set sizes, same val and test."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .config import TrainConfig
from .metrics import macro_f1
from .train import load_dataset, subsample

CURVE_FILE, CURVE_PLOT = "learning_curve.json", "learning_curve.png"


def learning_curve(
    cfg: TrainConfig, sizes: list[int], reports: Path, progress: bool = True
) -> list[dict]:
    """Train both models on stratified subsets of the training split; score each on test."""
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding

    from .baseline import fit_baseline, predict_proba
    from .finetune import encode, finetune, pick_device
    from .finetune import predict_proba as model_proba
    from .split import split_indices

    ft = cfg.finetune
    data = load_dataset(cfg)
    parts = split_indices(data, cfg.val_fraction, cfg.test_fraction, ft.seed)
    va, te = data.subset(parts["val"]), data.subset(parts["test"])
    tokenizer = AutoTokenizer.from_pretrained(ft.model)
    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    device = pick_device(ft.device)
    test_ids = encode(tokenizer, te.texts, ft.max_length)
    rows = []
    for n in sorted(set(min(s, len(parts["train"])) for s in sizes)):
        tr = data.subset(subsample(data, parts["train"], n, ft.seed))
        base, _ = fit_baseline(tr.texts, tr.y, va.texts, va.y, data.multilabel, ft.seed)
        model, _ = finetune(
            ft,
            tokenizer,
            (tr.texts, tr.y),
            (va.texts, va.y),
            len(data.labels),
            data.multilabel,
            device=device,
            progress=progress,
            log=lambda _: None,
        )
        probs = model_proba(model, collate, test_ids, data.multilabel, device)
        rows.append(
            {
                "train_size": len(tr),
                "baseline": macro_f1(
                    te.y, predict_proba(base, te.texts, data.multilabel), data.multilabel
                ),
                "transformer": macro_f1(te.y, probs, data.multilabel),
            }
        )
        del model
        torch.cuda.empty_cache() if torch.cuda.is_available() else None
    reports.mkdir(parents=True, exist_ok=True)
    (reports / CURVE_FILE).write_text(json.dumps(rows, indent=2) + "\n", "utf-8")
    _plot(rows, reports / CURVE_PLOT)
    return rows


def describe(rows: list[dict]) -> list[str]:
    """One line a training size: test macro-F1 of both models."""
    return [
        f"{r['train_size']:>6} texts: baseline {r['baseline']:.4f}, "
        f"transformer {r['transformer']:.4f}"
        for r in rows
    ]


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    sizes = np.asarray([r["train_size"] for r in rows])
    for name in ("baseline", "transformer"):
        ax.plot(sizes, [r[name] for r in rows], "o-", label=name)
    ax.set(xscale="log", xlabel="training texts", ylabel="test macro-F1", title="Learning curve")
    ax.set_xticks(sizes, labels=[f"{s:,}" for s in sizes])  # the sizes, not 3x10^2-style labels
    ax.minorticks_off()
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

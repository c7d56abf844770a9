"""`learning-curve`: baseline vs transformer at several training-set sizes, same val and test."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from .metrics import macro_f1
from .train import TrainConfig, load_dataset, subsample

CURVE_FILE, CURVE_PLOT = "learning_curve.json", "learning_curve.png"


def learning_curve(
    cfg: TrainConfig, sizes: list[int], reports: Path, progress: bool = True
) -> list[dict]:
    """Train both models on stratified subsets of the training split; score each on test."""
    import torch
    from transformers import AutoTokenizer, DataCollatorWithPadding

    from .baseline import fit_baseline, predict_proba
    from .finetune import FinetuneConfig, encode, finetune, pick_device
    from .finetune import predict_proba as model_proba
    from .split import split_indices

    data = load_dataset(cfg)
    parts = split_indices(data, cfg.val_fraction, cfg.test_fraction, cfg.seed)
    va, te = data.subset(parts["val"]), data.subset(parts["test"])
    tokenizer = AutoTokenizer.from_pretrained(cfg.model)
    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    fields = {f.name for f in dataclasses.fields(FinetuneConfig)}
    ft = FinetuneConfig(**{k: v for k, v in dataclasses.asdict(cfg).items() if k in fields})
    device = pick_device(cfg.device)
    test_ids = encode(tokenizer, te.texts, cfg.max_length)
    rows = []
    for n in sorted(set(min(s, len(parts["train"])) for s in sizes)):
        tr = data.subset(subsample(data, parts["train"], n, cfg.seed))
        base, _ = fit_baseline(tr.texts, tr.y, va.texts, va.y, data.multilabel, cfg.seed)
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


def _plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.5))
    sizes = np.asarray([r["train_size"] for r in rows])
    for name in ("baseline", "transformer"):
        ax.plot(sizes, [r[name] for r in rows], "o-", label=name)
    ax.set(xscale="log", xlabel="training texts", ylabel="test macro-F1", title="Learning curve")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

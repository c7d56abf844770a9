"""`train`: load and split the data, fit the TF-IDF baseline, fine-tune the encoder, choose the
moderation thresholds on validation, save everything the other verbs need to artifacts/."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .artifacts import METADATA_FILE, write_json
from .config import TrainConfig
from .data import TextData, load_texts
from .datasets import NAME, dataset_path, download_rotten_tomatoes
from .duplicates import describe as describe_duplicates
from .duplicates import find_duplicates
from .ledger import DataError
from .split import split_indices

SPLIT_FILE, HISTORY_FILE = "split.csv", "history.json"
MODEL_DIR, BASELINE_FILE = "model", "baseline.joblib"


def load_dataset(cfg: TrainConfig) -> TextData:
    """The public dataset by name (downloaded only with ``download``) or the user's own file."""
    if cfg.data == NAME:
        path = dataset_path(Path(cfg.data_dir))
        if not path.is_file():
            if not cfg.download:
                raise DataError(f"{path} is missing: run `download` (or `train --download`)")
            path = download_rotten_tomatoes(Path(cfg.data_dir))
    else:
        path = Path(cfg.data)
    return load_texts(
        path,
        text_column=cfg.text_column,
        label_columns=cfg.label_columns,
        split_column=cfg.split_column,
        encoding=cfg.encoding,
        group_column=cfg.group_column,
    )


def subsample(data: TextData, index: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """A stratified subsample of ``index`` of size ``n`` (all of it when n is None or larger)."""
    if n is None or n >= len(index):
        return index
    from sklearn.model_selection import train_test_split

    from .split import _stratify, strata

    key = strata(data)[index]
    keep, _ = train_test_split(
        index, train_size=n, random_state=seed, stratify=_stratify(key, n / len(index))
    )
    return np.sort(keep)


def benign_labels(cfg: TrainConfig, data: TextData) -> list[str]:
    """The labels that never fire, as the owner answered them (multi-label: none by default).
    A multi-class project must name one: moderating the wrong class silently is worse than
    stopping."""
    if cfg.benign is None:
        if data.multilabel:
            return []
        raise DataError(
            f"which label is harmless? pass --benign-label (one of: {', '.join(data.labels)})"
        )
    if unknown := sorted(set(cfg.benign) - set(data.labels)):
        raise DataError(
            f"--benign-label {', '.join(unknown)} is not a label of the data "
            f"({', '.join(data.labels)}): pass --benign-label with one of them"
        )
    return list(cfg.benign)


def estimate_seconds(n_train: int, epochs: int, model) -> float:
    """Rough CPU time: ~6 FLOPs per weight per token, 30 tokens a text, ~60 GFLOP/s (2 cores;
    measured: MiniLM-L6, 2 epochs of 8,965 snippets, 8.5 min for an estimate of 9.9)."""
    weights = sum(p.numel() for n, p in model.named_parameters() if "embeddings" not in n)
    return 6 * weights * 30 * n_train * epochs / 6e10 + 5


def train(
    cfg: TrainConfig,
    *,
    track: bool = True,
    progress: bool = True,
    resume: bool = False,
    experiment: str = "nlp",
    log: Callable[[str], None] = print,
) -> dict:
    """Run training; returns the saved metadata (rank 0) or {} (other DDP ranks)."""
    import joblib
    import torch
    from transformers import AutoTokenizer

    from . import cpu
    from .baseline import decision, fit_baseline
    from .calibration import to_probs
    from .finetune import distributed, encode, finetune, pick_device, predict_logits
    from .gate import compare, decide, describe
    from .metrics import accuracy, macro_f1
    from .scoring import calibrate
    from .thresholds import choose
    from .tracking import tracked_run

    rank, world = distributed()
    ft = cfg.finetune
    data = load_dataset(cfg)
    data.ledger.enforce(cfg.max_bad_share, f"run `validate --data {cfg.data}` to see the rows")
    dups = find_duplicates(data)
    parts = split_indices(data, cfg.val_fraction, cfg.test_fraction, ft.seed)
    parts["train"] = subsample(data, parts["train"], cfg.max_train, ft.seed)
    tr, va = data.subset(parts["train"]), data.subset(parts["val"])
    benign = benign_labels(cfg, data)
    device = pick_device(ft.device)
    if world > 1 and device.type == "cuda":
        device = torch.device("cuda", torch.cuda.current_device())
    tokenizer = AutoTokenizer.from_pretrained(ft.model)
    start = time.perf_counter()
    if rank == 0:
        log(
            f"{len(data)} texts ({data.ledger.summary()}); train {len(tr)}, val {len(va)}, "
            f"test {len(parts['test'])}; {world} process(es) on {device}"
        )
        for note in [*data.notes, describe_duplicates(dups, data, examples=0)[0]]:
            log(note)
        log(f"benign (never flagged): {', '.join(benign) or 'none'}")
        t0 = time.perf_counter()
        baseline, baseline_info = fit_baseline(
            tr.texts, tr.y, va.texts, va.y, data.multilabel, ft.seed
        )
        baseline_info["seconds"] = round(time.perf_counter() - t0, 1)
        log(
            f"baseline TF-IDF + LR: C={baseline_info['C']}, "
            f"val macro-F1 {max(baseline_info['val_macro_f1_by_C'].values()):.4f}"
        )
    model, history = finetune(
        ft,
        tokenizer,
        (tr.texts, tr.y),
        (va.texts, va.y),
        len(data.labels),
        data.multilabel,
        rank=rank,
        world=world,
        device=device,
        progress=progress,
        resume=resume,
        log=log,
        estimate=lambda m: cpu.announce(estimate_seconds(len(tr), ft.epochs, m) / world, "train"),
    )
    if rank != 0:
        return {}
    seconds = time.perf_counter() - start
    from transformers import DataCollatorWithPadding

    collate = DataCollatorWithPadding(tokenizer, return_tensors="pt")
    val_ids = encode(tokenizer, va.texts, ft.max_length)
    val_logits = {
        "transformer": predict_logits(model.cpu(), collate, val_ids, torch.device("cpu")),
        "baseline": decision(baseline, va.texts),
    }
    # one temperature per model, fitted on validation only: what `serve` shows is calibrated
    calibration = {
        arm: {**calibrate(x, va.y, va.onehot(), data.multilabel), "fitted_on": "validation"}
        for arm, x in val_logits.items()
    }
    val_probs, base_val = (
        to_probs(val_logits[arm], data.multilabel, calibration[arm]["temperature"])
        for arm in ("transformer", "baseline")
    )
    out = Path(cfg.out_dir)
    model.save(out / MODEL_DIR)
    tokenizer.save_pretrained(out / MODEL_DIR)
    joblib.dump(baseline, out / BASELINE_FILE)
    with (out / SPLIT_FILE).open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "split"])
        for name, index in parts.items():
            writer.writerows((int(data.lines[i]), name) for i in index)
    (out / HISTORY_FILE).write_text(json.dumps(history, indent=1) + "\n", "utf-8")
    # the gate: the transformer is served only if it beats the baseline on validation
    gate = decide(compare(va.y, val_probs, base_val, data.multilabel), cfg.serve)
    log(describe(gate))
    served_val = val_probs if gate["served"] == "transformer" else base_val
    metadata = {
        "labels": data.labels,
        "multilabel": data.multilabel,
        "benign": benign,
        "max_length": ft.max_length,
        "pad_id": tokenizer.pad_token_id,
        "thresholds": choose(
            va.onehot(), served_val, data.labels, benign, cfg.block_precision, cfg.review_recall
        ),
        "val": {
            "macro_f1": macro_f1(va.y, val_probs, data.multilabel),
            "accuracy": accuracy(va.y, val_probs, data.multilabel),
            "baseline_macro_f1": macro_f1(va.y, base_val, data.multilabel),
        },
        "baseline": baseline_info,
        "calibration": calibration,
        "gate": gate,
        "train_config": dataclasses.asdict(cfg),
        "data": {
            "source": data.source,
            "notes": data.notes,
            "fingerprint": data.fingerprint,
            "duplicates": dups.as_dict(),
            "ledger": data.ledger.as_dict(),
            "sizes": {k: len(v) for k, v in parts.items()},
        },
        "train_seconds": round(seconds, 1),
        "device": str(device),
        "world_size": world,
        "trained_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    write_json(out / METADATA_FILE, metadata)
    with tracked_run(experiment, enabled=track) as run:
        settings = dataclasses.asdict(cfg)
        run.params({**settings.pop("finetune"), **settings})
        run.metrics({"val_macro_f1": metadata["val"]["macro_f1"], "train_seconds": seconds})
        for row in history:
            run.metrics({"val_macro_f1_curve": row["val_macro_f1"]}, step=row["step"])
        run.artifact(out / METADATA_FILE)
    return metadata


def summary(meta: dict, out_dir: object) -> str:
    """The line `train` ends with (the gate's reason is logged above it)."""
    val, cal = meta["val"], meta["calibration"]["transformer"]
    return (
        f"trained in {meta['train_seconds']:.0f} s: val macro-F1 {val['macro_f1']:.4f} "
        f"(baseline {val['baseline_macro_f1']:.4f}); temperature {cal['temperature']:.3f} "
        f"(val ECE {cal['ece_before']:.3f} -> {cal['ece_after']:.3f}); benign (never flagged): "
        f"{', '.join(meta['benign']) or 'none'}; served: {meta['gate']['served']}; "
        f"saved to {out_dir}"
    )

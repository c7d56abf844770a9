"""Fine-tuning loop: dynamic padding, length bucketing, warm-up + linear decay, class weights,
early stopping on validation macro-F1, seeds, checkpoints, bf16/fp16 on CUDA and DDP (torchrun)."""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm
from transformers import DataCollatorWithPadding, get_linear_schedule_with_warmup

from .calibration import to_probs
from .config import FinetuneConfig
from .metrics import macro_f1
from .model import TextClassifier


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"--device {name}: no CUDA GPU is visible")
    return torch.device(name)


def encode(tokenizer, texts: list[str], max_length: int) -> list[list[int]]:
    """Token ids with [CLS]/[SEP], truncated to ``max_length`` (no padding: that is per batch)."""
    out = tokenizer(texts, truncation=True, max_length=max_length, return_token_type_ids=False)
    return out["input_ids"]


def bucket_batches(
    lengths: np.ndarray, batch_size: int, seed: int, rank: int = 0, world: int = 1
) -> list[np.ndarray]:
    """Shuffle, sort by length within chunks of 50 batches, cut batches, shuffle them; each
    rank takes every world-th batch (all ranks the same count)."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(lengths))
    chunk = batch_size * 50
    batches = []
    for start in range(0, len(order), chunk):
        part = order[start : start + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches += [part[i : i + batch_size] for i in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    usable = len(batches) - len(batches) % world if len(batches) >= world else len(batches)
    return batches[:usable][rank::world]


def class_weights(y: np.ndarray, multilabel: bool, num_labels: int) -> torch.Tensor:
    """Balanced weights (multi-class) or positive weights negatives/positives (multi-label)."""
    if multilabel:
        pos = y.sum(0).clip(min=1)
        return torch.tensor(np.clip((len(y) - pos) / pos, 1.0, 50.0), dtype=torch.float32)
    counts = np.bincount(y, minlength=num_labels).clip(min=1)
    return torch.tensor(len(y) / (num_labels * counts), dtype=torch.float32)


def predict_logits(
    model: nn.Module,
    collate: Callable,
    ids: list[list[int]],
    device: torch.device,
    batch_size: int = 64,
) -> np.ndarray:
    """Logits (n, labels) in the input order; batches of similar length for speed."""
    order = np.argsort([len(x) for x in ids], kind="stable")
    out = np.zeros((len(ids), model.head.out_features), dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for start in range(0, len(ids), batch_size):
            part = order[start : start + batch_size]
            batch = collate([{"input_ids": ids[i]} for i in part])
            logits = model(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            out[part] = logits.float().cpu().numpy()
    return out


def predict_proba(
    model: nn.Module,
    collate: Callable,
    ids: list[list[int]],
    multilabel: bool,
    device: torch.device,
    temperature: float = 1.0,
) -> np.ndarray:
    """Probabilities (n, labels) of ``logits / temperature`` in the input order."""
    return to_probs(predict_logits(model, collate, ids, device), multilabel, temperature)


def _autocast(device: torch.device, amp: bool):
    if device.type != "cuda" or not amp:
        return contextlib.nullcontext(), None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return torch.autocast("cuda", dtype=dtype), scaler


def finetune(
    cfg: FinetuneConfig,
    tokenizer,
    train: tuple[list[str], np.ndarray],
    val: tuple[list[str], np.ndarray],
    num_labels: int,
    multilabel: bool,
    *,
    rank: int = 0,
    world: int = 1,
    device: torch.device | None = None,
    progress: bool = True,
    resume: bool = False,
    log: Callable[[str], None] = print,
    estimate: Callable[[nn.Module], None] | None = None,
) -> tuple[TextClassifier, list[dict]]:
    """Fine-tune ``cfg.model`` and return the model with the best validation macro-F1."""
    device = device or pick_device(cfg.device)
    torch.manual_seed(cfg.seed)
    model = TextClassifier.from_encoder(cfg.model, num_labels).to(device)
    if estimate and rank == 0:
        estimate(model)
    train_ids, val_ids = (
        encode(tokenizer, train[0], cfg.max_length),
        encode(tokenizer, val[0], cfg.max_length),
    )
    lengths = np.asarray([len(x) for x in train_ids])
    multiple = 8 if device.type == "cuda" else None
    collate = DataCollatorWithPadding(tokenizer, pad_to_multiple_of=multiple, return_tensors="pt")
    weights = class_weights(train[1], multilabel, num_labels).to(device)
    loss_fn = (
        nn.BCEWithLogitsLoss(pos_weight=weights)
        if multilabel
        else nn.CrossEntropyLoss(weight=weights)
    )
    steps_per_epoch = len(bucket_batches(lengths, cfg.batch_size, 0, rank, world))
    total = cfg.max_steps or steps_per_epoch * cfg.epochs
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(cfg.warmup * total), total)
    ddp = model
    if world > 1:
        ids = [device.index] if device.type == "cuda" else None
        ddp = nn.parallel.DistributedDataParallel(model, device_ids=ids)
    ckpt = Path(cfg.checkpoint_dir) / "last.pt"
    history: list[dict] = []
    best, best_state, start_epoch, step, bad_evals = -1.0, None, 0, 0, 0
    if resume and ckpt.is_file():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, step, history = state["epoch"], state["step"], state["history"]
        best, best_state, bad_evals = state["best"], state["best_state"], state["bad_evals"]
        log(f"resumed from {ckpt} after epoch {start_epoch}")
    autocast, scaler = _autocast(device, cfg.amp)
    eval_every = max(1, steps_per_epoch // max(1, cfg.evals_per_epoch))
    bar = tqdm(total=total, initial=step, desc="fine-tune", disable=not progress or rank != 0)
    stop = False
    for epoch in range(start_epoch, cfg.epochs):
        ddp.train()
        batches = bucket_batches(lengths, cfg.batch_size, cfg.seed + epoch, rank, world)
        for i, index in enumerate(batches, 1):
            batch = collate([{"input_ids": train_ids[j]} for j in index])
            target = torch.as_tensor(train[1][index], device=device)
            with autocast:
                logits = ddp(batch["input_ids"].to(device), batch["attention_mask"].to(device))
            loss = loss_fn(logits.float(), target.float() if multilabel else target)
            optimizer.zero_grad(set_to_none=True)
            if scaler:
                scaler.scale(loss).backward()
                scaler.unscale_(optimizer)
            else:
                loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            (scaler.step(optimizer), scaler.update()) if scaler else optimizer.step()
            scheduler.step()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if i % eval_every == 0 or i == len(batches) or step >= total:
                probs = predict_proba(model, collate, val_ids, multilabel, device)
                score = macro_f1(val[1], probs, multilabel)
                history.append(
                    {
                        "epoch": epoch + 1,
                        "step": step,
                        "loss": float(loss.item()),
                        "val_macro_f1": score,
                    }
                )
                if score > best:
                    best, bad_evals = score, 0
                    best_state = {
                        k: v.detach().cpu().clone() for k, v in model.state_dict().items()
                    }
                else:
                    bad_evals += 1
                stop = bad_evals >= cfg.patience or step >= total
                if world > 1:  # every rank takes rank 0's decision
                    flag = [stop]
                    torch.distributed.broadcast_object_list(flag, src=0)
                    stop = flag[0]
                ddp.train()
            if stop:
                break
        if rank == 0:
            ckpt.parent.mkdir(parents=True, exist_ok=True)
            torch.save(
                {
                    "model": model.state_dict(),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "epoch": epoch + 1,
                    "step": step,
                    "history": history,
                    "best": best,
                    "best_state": best_state,
                    "bad_evals": bad_evals,
                },
                ckpt,
            )
        if stop:
            break
    bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return model.eval(), history


def distributed() -> tuple[int, int]:
    """(rank, world size), starting the process group when run under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not torch.distributed.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        torch.distributed.init_process_group(backend)
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    return int(os.environ.get("RANK", "0")), world

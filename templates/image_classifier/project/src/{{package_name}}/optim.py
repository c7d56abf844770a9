"""The optimiser (SGD, Nesterov), its one-cycle schedule, and checkpoints to resume from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn


def lr_lambda(total_steps: int, warmup: float) -> Callable[[int], float]:
    warm = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return factor


def make_optimizer(model: nn.Module, cfg, lr: float) -> torch.optim.Optimizer:
    """SGD with Nesterov momentum; no weight decay on biases and norms. A pretrained backbone
    learns at ``cfg.backbone_lr`` times the rate of its new head (discriminative rates)."""
    head = model.head_names() if hasattr(model, "head_names") else None
    groups: dict[tuple[bool, bool], list] = {}
    for name, p in model.named_parameters():
        pretrained = head is not None and name not in head
        groups.setdefault((p.ndim > 1, pretrained), []).append(p)
    param_groups = [
        {"params": params, "weight_decay": cfg.weight_decay if decay else 0.0,
         "lr": lr * (cfg.backbone_lr if pretrained else 1.0)}
        for (decay, pretrained), params in groups.items()
    ]  # fmt: skip
    return torch.optim.SGD(param_groups, lr=lr, momentum=cfg.momentum, nesterov=True)


def save_checkpoint(
    path: Path, model, optimizer, scheduler, scaler, epoch, cfg, history, model_cfg
) -> None:
    """Write the state to resume from atomically (a temporary file, then a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "scaler": scaler.state_dict() if scaler is not None else None,
        "epoch": epoch,
        "epochs": cfg.epochs,
        "history": history,
        "model_config": model_cfg.to_dict(),
    }
    torch.save(state, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)


def load_checkpoint(
    path: Path, device, model, optimizer, scheduler, scaler, model_cfg, epochs: int
) -> tuple[list[dict[str, float]], int]:
    """Restore the state saved by :func:`save_checkpoint`; return the history and next epoch."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint to resume from at {path}")
    state = torch.load(path, map_location=device, weights_only=True)
    if state["model_config"] != model_cfg.to_dict() or state["epochs"] != epochs:
        raise ValueError(f"{path} was written by a different model or schedule")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if scaler is not None and state.get("scaler"):
        scaler.load_state_dict(state["scaler"])
    return state["history"], state["epoch"] + 1

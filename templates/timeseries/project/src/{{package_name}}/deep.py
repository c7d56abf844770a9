"""Training the deep forecasters: windows, early stopping, seeds, checkpoints, AMP and DDP.

On a GPU, training runs in bf16 autocast (fp16 with a grad scaler where bf16 is missing); under
``torchrun --nproc-per-node N`` it uses DistributedDataParallel with one process per GPU.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, TensorDataset
from tqdm import tqdm

from .models import Seasons
from .nets import build


@dataclass
class DeepConfig:
    """Training settings (the defaults take about 10-30 s per model on a 2-core CPU)."""

    epochs: int = 40
    patience: int = 8
    batch_size: int = 128
    lr: float = 1e-3
    weight_decay: float = 1e-4
    val_share: float = 0.15
    max_windows: int = 20_000
    seed: int = 0
    device: str = "auto"
    amp: bool = True


def windows(
    series: dict[str, tuple[np.ndarray, pd.Timestamp]], input_len: int, horizon: int, cap: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (input, target) window of every series, with its end position (for a time split)."""
    xs, ys, ends = [], [], []
    for values, _end in series.values():
        values = np.asarray(values, np.float32)
        n = len(values) - input_len - horizon + 1
        if n <= 0:
            continue
        view = np.lib.stride_tricks.sliding_window_view(values, input_len + horizon)
        xs.append(view[:, :input_len])
        ys.append(view[:, input_len:])
        ends.append(np.arange(n) / max(n - 1, 1))
    if not xs:
        raise ValueError(
            f"no series is longer than {input_len + horizon} steps: too short to train"
        )
    x, y, end = np.concatenate(xs), np.concatenate(ys), np.concatenate(ends)
    if len(x) > cap:
        keep = np.linspace(0, len(x) - 1, cap).astype(int)
        x, y, end = x[keep], y[keep], end[keep]
    return x, y, end


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def _autocast(device: torch.device, enabled: bool):
    if device.type != "cuda" or not enabled:
        return contextlib.nullcontext, None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype == torch.float16 else None
    return (lambda: torch.autocast("cuda", dtype=dtype)), scaler


class DeepForecaster:
    """A LSTM or Transformer forecaster trained on windows of every series."""

    def __init__(self, name: str, seasons: Seasons, horizon: int, cfg: DeepConfig) -> None:
        self.name, self.seasons, self.horizon, self.cfg = name, seasons, horizon, cfg
        self.input_len = seasons.week if seasons.week > 1 else 4 * max(horizon, 8)
        self.min_history = self.input_len
        self.net: torch.nn.Module | None = None
        self.history: list[dict] = []

    def fit(
        self,
        series: dict[str, tuple[np.ndarray, pd.Timestamp]],
        exog: dict | None = None,
        checkpoint: Path | None = None,
    ):
        """Train on windows of every series (``exog`` is ignored: these models are univariate)."""
        cfg = self.cfg
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed)
        distributed = int(os.environ.get("WORLD_SIZE", "1")) > 1
        device = pick_device(cfg.device)
        if distributed:
            import torch.distributed as dist

            if not dist.is_initialized():
                dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
            if device.type == "cuda":
                device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
                torch.cuda.set_device(device)
        x, y, end = windows(series, self.input_len, self.horizon, cfg.max_windows)
        late = end >= 1 - cfg.val_share  # the latest windows of each series stop the training
        train = TensorDataset(torch.from_numpy(x[~late]), torch.from_numpy(y[~late]))
        x_val, y_val = torch.from_numpy(x[late]).to(device), torch.from_numpy(y[late]).to(device)
        sampler = None
        if distributed:
            from torch.utils.data.distributed import DistributedSampler

            sampler = DistributedSampler(train, seed=cfg.seed)
        loader = DataLoader(
            train,
            batch_size=cfg.batch_size,
            shuffle=sampler is None,
            sampler=sampler,
            generator=torch.Generator().manual_seed(cfg.seed),
        )
        net = build(self.name, self.input_len, self.horizon, self.seasons.day, self.seasons.week)
        net = net.to(device)
        model = net
        if distributed:
            from torch.nn.parallel import DistributedDataParallel

            model = DistributedDataParallel(
                net, device_ids=[device] if device.type == "cuda" else None
            )
        opt = torch.optim.AdamW(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
        sched = torch.optim.lr_scheduler.OneCycleLR(
            opt, max_lr=cfg.lr, total_steps=cfg.epochs * max(1, len(loader))
        )
        autocast, scaler = _autocast(device, cfg.amp)
        best, best_state, waited = float("inf"), copy.deepcopy(net.state_dict()), 0
        bar = tqdm(range(cfg.epochs), desc=self.name, unit="epoch", leave=False, disable=None)
        for epoch in bar:
            if sampler is not None:
                sampler.set_epoch(epoch)
            model.train()
            for xb, yb in loader:
                xb, yb = xb.to(device), yb.to(device)
                with autocast():
                    loss = torch.nn.functional.l1_loss(model(xb), yb)
                opt.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(opt)
                    scaler.update()
                else:
                    loss.backward()
                    opt.step()
                sched.step()
            val = self._val_loss(net, x_val, y_val, x, y)
            self.history.append(
                {"epoch": epoch + 1, "train_l1": float(loss.detach()), "val_l1": val}
            )
            bar.set_postfix(val_l1=f"{val:.4g}")
            if val < best - 1e-6:
                best, best_state, waited = val, copy.deepcopy(net.state_dict()), 0
                if checkpoint is not None:
                    checkpoint.parent.mkdir(parents=True, exist_ok=True)
                    torch.save({"state": best_state, "epoch": epoch + 1}, checkpoint)
            elif epoch + 1 > cfg.epochs * 0.3:  # patience counts after the learning-rate warm-up
                waited += 1
                if waited >= cfg.patience:
                    break
        net.load_state_dict(best_state)
        self.net = net.to("cpu").eval()
        return self

    @torch.no_grad()
    def _val_loss(self, net, x_val, y_val, x, y) -> float:
        net.eval()
        if len(x_val) == 0:
            return float("inf")
        return float(torch.nn.functional.l1_loss(net(x_val), y_val))

    @torch.no_grad()
    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        window = torch.as_tensor(np.asarray(history[-self.input_len :], np.float32))[None]
        return self.net(window)[0, :h].numpy().astype(float)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(self.net.state_dict(), folder / f"{self.name}.pt")
        spec = {"name": self.name, "input_len": self.input_len, "horizon": self.horizon,
                "day": self.seasons.day, "week": self.seasons.week, "config": asdict(self.cfg), "history": self.history}  # fmt: skip
        (folder / f"{self.name}.json").write_text(json.dumps(spec, indent=2), "utf-8")

    @classmethod
    def load(cls, folder: Path, name: str, seasons: Seasons) -> DeepForecaster:
        spec = json.loads((folder / f"{name}.json").read_text("utf-8"))
        model = cls(name, seasons, spec["horizon"], DeepConfig(**spec["config"]))
        model.input_len = model.min_history = spec["input_len"]
        net = build(name, spec["input_len"], spec["horizon"], spec["day"], spec.get("week", 0))
        net.load_state_dict(torch.load(folder / f"{name}.pt", weights_only=True))
        model.net = net.eval()
        return model

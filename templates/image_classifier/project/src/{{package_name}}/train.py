"""Training: the whole dataset on the device, augmentation there too, mixed precision on CUDA.

Runs on one CPU or GPU, or on several GPUs / machines under ``torchrun`` (DistributedDataParallel,
NCCL on CUDA and gloo on CPU). Every epoch ends with a checkpoint; ``resume=True`` continues from
the last one and, because each epoch's shuffling and augmentation are seeded by the epoch number,
ends where an uninterrupted run would have.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from .data import Dataset, load_dataset
from .model import ModelConfig, build_model, count_parameters
from .tracking import tracked_run

MODEL_FILE = "model.pt"
METADATA_FILE = "metadata.json"
HISTORY_FILE = "history.json"
CHECKPOINT_FILE = "last.pt"


@dataclass
class TrainConfig:
    data: str = "cifar10"
    data_dir: str = "data"
    image_size: int | None = None
    channels: int | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    width: int = 32
    epochs: int = 10
    batch_size: int = 256
    lr: float = 0.2
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup: float = 0.2
    label_smoothing: float = 0.1
    hflip: bool = True
    translate: int = 2
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    threads: int | None = None
    out_dir: str = "artifacts"
    checkpoint_dir: str = "checkpoints"
    download: bool = False
    stop_after: int | None = None  # end this run after that many epochs (continue with resume)


@dataclass
class TrainResult:
    history: list[dict[str, float]]
    val_accuracy: float | None
    test_accuracy: float | None
    train_seconds: float
    model_path: Path
    dataset_sizes: dict[str, int] = field(default_factory=dict)
    skipped: int = 0


# --- devices, distribution, seeds --------------------------------------------------------------


@dataclass
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def pick_device(name: str) -> torch.device:
    """``auto`` (CUDA when there is a GPU, else CPU), or a device name; ValueError if unusable."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:1, mps ...") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}, but this torch ({torch.__version__}) sees no GPU")
    return device


def init_distributed(device_name: str) -> tuple[Dist, torch.device]:
    """Join the torchrun process group when launched by torchrun; pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    dist_info = Dist(
        int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))
    )
    device = pick_device(device_name)
    if device == torch.device("cuda") and world > 1:
        device = torch.device("cuda", dist_info.local_rank)
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return dist_info, device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(threads: int | None, world: int) -> None:
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(max(1, threads or (cores or 1) // max(1, world)))


def autocast_for(device: torch.device, enabled: bool):
    """bf16 autocast on CUDA (fp16 where bf16 is missing); full precision on CPU."""
    if device.type != "cuda" or not enabled:
        return nullcontext(), None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype is torch.float16 else None
    return torch.autocast("cuda", dtype=dtype), scaler


# --- augmentation and prediction ---------------------------------------------------------------


def augment(
    images: torch.Tensor, translate: int, hflip: bool, generator: torch.Generator
) -> torch.Tensor:
    """Random translation (reflect padding) and horizontal flips of a uint8 batch, on its device.

    Returns floats in [0, 1].
    """
    x = images.float().div_(255)
    n, c, h, w = x.shape
    dev = x.device
    if translate > 0:
        padded = F.pad(x, (translate,) * 4, mode="reflect")
        dy = torch.randint(0, 2 * translate + 1, (n,), device=dev, generator=generator)
        dx = torch.randint(0, 2 * translate + 1, (n,), device=dev, generator=generator)
        rows = (dy[:, None] + torch.arange(h, device=dev)[None])[:, None, :, None]
        cols = (dx[:, None] + torch.arange(w, device=dev)[None])[:, None, None, :]
        batch = torch.arange(n, device=dev)[:, None, None, None]
        chans = torch.arange(c, device=dev)[None, :, None, None]
        x = padded[batch, chans, rows, cols]
    if hflip:
        flip = torch.rand(n, device=dev, generator=generator) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(3), x)
    return x


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    images: torch.Tensor | np.ndarray,
    *,
    device: torch.device,
    batch_size: int = 1024,
    tta_flip: bool = False,
    amp: bool = True,
    channels_last: bool = False,
) -> torch.Tensor:
    """Logits (float32, on the CPU) for uint8 images, with optional flip test-time augmentation."""
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    model.eval()
    context, _ = autocast_for(device, amp)
    out = []
    for start in range(0, len(images), batch_size):
        x = images[start : start + batch_size].to(device, non_blocking=True).float().div_(255)
        if channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with context:
            logits = model(x).float()
            if tta_flip:
                logits = (logits + model(x.flip(3)).float()) / 2
        out.append(logits.cpu())
    if not out:
        return torch.zeros(0, 0)
    return torch.cat(out)


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    sample = images[:: max(1, len(images) // 5000)].astype(np.float32) / 255
    mean = sample.mean(axis=(0, 2, 3))
    std = sample.std(axis=(0, 2, 3)) + 1e-3
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)


# --- saving and loading ------------------------------------------------------------------------


def load_trained(out_dir: Path | str, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """The trained model and its metadata from ``out_dir`` (raises FileNotFoundError)."""
    out_dir = Path(out_dir)
    path = out_dir / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {path}: run `train` first")
    saved = torch.load(path, map_location=device, weights_only=True)
    model = build_model(ModelConfig.from_dict(saved["model_config"]))
    model.load_state_dict(saved["state_dict"])
    metadata = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
    return model.to(device).eval(), metadata


def _unwrap(model: nn.Module) -> nn.Module:
    model = getattr(model, "module", model)  # DistributedDataParallel
    return getattr(model, "_orig_mod", model)  # torch.compile


def _lr_lambda(total_steps: int, warmup: float) -> Callable[[int], float]:
    warm = max(1, int(total_steps * warmup))

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.0, (total_steps - step) / max(1, total_steps - warm))

    return factor


# --- the loop ----------------------------------------------------------------------------------


def train(
    cfg: TrainConfig,
    *,
    resume: bool = False,
    track: bool = True,
    experiment: str = "image-classifier",
    progress: bool = True,
    dataset: Dataset | None = None,
    log: Callable[[str], None] = print,
) -> TrainResult:
    info, device = init_distributed(cfg.device)
    try:
        return _train(cfg, info, device, resume, track, experiment, progress, dataset, log)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _train(
    cfg: TrainConfig,
    info: Dist,
    device: torch.device,
    resume: bool,
    track: bool,
    experiment: str,
    progress: bool,
    dataset: Dataset | None,
    log: Callable[[str], None],
) -> TrainResult:
    started = time.perf_counter()
    seed_everything(cfg.seed)
    if device.type == "cpu":
        set_threads(cfg.threads, info.world)
    else:
        torch.backends.cudnn.benchmark = True
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    show = progress and info.main
    if dataset is None:

        def load(download: bool) -> Dataset:
            return load_dataset(
                cfg.data,
                Path(cfg.data_dir),
                image_size=cfg.image_size,
                channels=cfg.channels,
                val_fraction=cfg.val_fraction,
                test_fraction=cfg.test_fraction,
                seed=cfg.seed,
                download=download,
                progress=show,
            )

        if info.world > 1 and cfg.download:  # rank 0 downloads while the others wait
            if info.main:
                load(download=True)
            dist.barrier()
        dataset = load(download=cfg.download and info.world == 1)
    train_x, train_y = dataset.split("train")
    val_x, val_y = dataset.split("val")
    if info.main:
        sizes = ", ".join(f"{k} {v}" for k, v in dataset.sizes().items())
        log(
            f"data: {dataset.source}, {len(dataset.classes)} classes, {sizes}, "
            f"{dataset.channels}x{dataset.image_size}x{dataset.image_size}, "
            f"{dataset.skipped} unreadable file(s) skipped; "
            f"device {device}, {info.world} process(es)"
        )

    mean, std = channel_stats(train_x)
    model_cfg = ModelConfig(len(dataset.classes), dataset.channels, cfg.width, mean, std)
    channels_last = cfg.channels_last  # faster with cuDNN and, in our measurements, oneDNN
    memory_format = torch.channels_last if channels_last else torch.preserve_format
    model = build_model(model_cfg).to(device, memory_format=memory_format)

    images = torch.from_numpy(train_x).to(device)  # the whole training set lives on the device
    labels = torch.from_numpy(train_y).to(device)
    local_batch = max(1, cfg.batch_size // info.world)
    n_local = len(labels) // info.world
    steps_per_epoch = max(1, math.ceil(n_local / local_batch))
    total_steps = steps_per_epoch * cfg.epochs

    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.SGD(
        [
            {"params": decay, "weight_decay": cfg.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ],
        lr=cfg.lr,
        momentum=cfg.momentum,
        nesterov=True,
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, _lr_lambda(total_steps, cfg.warmup))
    context, scaler = autocast_for(device, cfg.amp)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)

    checkpoint = Path(cfg.checkpoint_dir) / CHECKPOINT_FILE
    history: list[dict[str, float]] = []
    start_epoch = 0
    if resume:
        if not checkpoint.is_file():
            raise FileNotFoundError(f"no checkpoint to resume from at {checkpoint}")
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        if state["model_config"] != model_cfg.to_dict() or state["epochs"] != cfg.epochs:
            raise ValueError(f"{checkpoint} was written by a different model or schedule")
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        if scaler is not None and state.get("scaler"):
            scaler.load_state_dict(state["scaler"])
        history, start_epoch = state["history"], state["epoch"] + 1
        if info.main:
            log(f"resuming from {checkpoint} after epoch {start_epoch}")

    train_model: nn.Module = model
    if info.world > 1:
        train_model = nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    if cfg.compile:
        train_model = torch.compile(train_model)

    generator = torch.Generator(device=device)
    run_name = f"{Path(cfg.data).name}-w{cfg.width}-e{cfg.epochs}"
    with tracked_run(experiment, run_name=run_name, enabled=track and info.main) as run:
        run.params(
            {**asdict(cfg), "world_size": info.world, "parameters": count_parameters(model)}
            | {f"n_{k}": v for k, v in dataset.sizes().items()}
            | {
                "skipped_files": dataset.skipped,
                "input": f"{dataset.channels}x{dataset.image_size}",
            }
        )
        bar = tqdm(  # disable=None: no bar when the output is not a terminal (logs, CI)
            total=total_steps, initial=start_epoch * steps_per_epoch, unit="step",
            disable=None if show else True,
        )  # fmt: skip
        last_epoch = min(cfg.epochs, cfg.stop_after or cfg.epochs)
        for epoch in range(start_epoch, last_epoch):
            epoch_start = time.perf_counter()
            train_model.train()
            order = torch.randperm(
                len(labels), generator=torch.Generator().manual_seed(cfg.seed * 7919 + epoch)
            )
            order = order[: n_local * info.world][info.rank :: info.world].to(device)
            generator.manual_seed(cfg.seed * 104729 + epoch * info.world + info.rank)
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device)
            for step in range(steps_per_epoch):
                idx = order[step * local_batch : (step + 1) * local_batch]
                x = augment(images[idx], cfg.translate, cfg.hflip, generator)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                y = labels[idx]
                with context:
                    logits = train_model(x)
                    loss = criterion(logits.float(), y)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                scheduler.step()
                loss_sum += loss.detach() * len(idx)
                correct += (logits.detach().argmax(1) == y).sum()
                bar.update()
            if info.world > 1:
                totals = torch.stack([loss_sum, correct.float()])
                dist.all_reduce(totals)
                loss_sum, correct = totals[0], totals[1]
            seen = steps_and_seen(n_local, info.world)
            row = {
                "epoch": epoch + 1,
                "train_loss": float(loss_sum) / seen,
                "train_accuracy": float(correct) / seen,
                "lr": scheduler.get_last_lr()[0],
                "seconds": time.perf_counter() - epoch_start,
            }
            if info.main and len(val_y):
                val_logits = predict_logits(
                    model, val_x, device=device, tta_flip=cfg.hflip, amp=cfg.amp,
                    channels_last=channels_last,
                )  # fmt: skip
                targets = torch.from_numpy(val_y)
                row["val_loss"] = float(F.cross_entropy(val_logits, targets))
                row["val_accuracy"] = float((val_logits.argmax(1) == targets).float().mean())
            history.append(row)
            if info.main:
                run.metrics({k: v for k, v in row.items() if k != "epoch"}, step=epoch + 1)
                bar.set_postfix(
                    {k: f"{v:.4f}" for k, v in row.items() if k.endswith(("loss", "accuracy"))}
                )
                checkpoint.parent.mkdir(parents=True, exist_ok=True)
                torch.save(
                    {
                        "model": model.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": scheduler.state_dict(),
                        "scaler": scaler.state_dict() if scaler is not None else None,
                        "epoch": epoch,
                        "epochs": cfg.epochs,
                        "history": history,
                        "model_config": model_cfg.to_dict(),
                    },
                    checkpoint.with_suffix(".tmp"),
                )
                checkpoint.with_suffix(".tmp").replace(checkpoint)
            if info.world > 1:
                dist.barrier()
        bar.close()
        train_seconds = time.perf_counter() - started

        result = TrainResult(
            history=history,
            val_accuracy=history[-1].get("val_accuracy") if history else None,
            test_accuracy=None,
            train_seconds=train_seconds,
            model_path=Path(cfg.out_dir) / MODEL_FILE,
            dataset_sizes=dataset.sizes(),
            skipped=dataset.skipped,
        )
        if info.main:
            test_x, test_y = dataset.split("test")
            if len(test_y):
                test_logits = predict_logits(
                    model, test_x, device=device, tta_flip=cfg.hflip, amp=cfg.amp,
                    channels_last=channels_last,
                )  # fmt: skip
                result.test_accuracy = float(
                    (test_logits.argmax(1) == torch.from_numpy(test_y)).float().mean()
                )
            _save(cfg, model, model_cfg, dataset, result, f"{device.type} x{info.world}")
            final = {"train_seconds": train_seconds}
            if result.val_accuracy is not None:
                final["final_val_accuracy"] = result.val_accuracy
            if result.test_accuracy is not None:
                final["test_accuracy"] = result.test_accuracy
            run.metrics(final)
            run.artifact(Path(cfg.out_dir) / METADATA_FILE)
            run.artifact(Path(cfg.out_dir) / HISTORY_FILE)
    return result


def steps_and_seen(n_local: int, world: int) -> int:
    return max(1, n_local * world)


def _save(
    cfg: TrainConfig,
    model: nn.Module,
    model_cfg: ModelConfig,
    dataset: Dataset,
    result: TrainResult,
    device: str,
) -> None:
    out = Path(cfg.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("model.onnx*"):  # exported from the previous model: export again
        stale.unlink()
    state = {k: v.detach().cpu() for k, v in _unwrap(model).state_dict().items()}
    torch.save({"state_dict": state, "model_config": model_cfg.to_dict()}, out / MODEL_FILE)
    metadata: dict[str, Any] = {
        "classes": dataset.classes,
        "image_size": dataset.image_size,
        "channels": dataset.channels,
        "model": model_cfg.to_dict(),
        "train_config": asdict(cfg),
        "data": dataset.source,
        "dataset_sizes": dataset.sizes(),
        "skipped_files": dataset.skipped,
        "tta_flip": cfg.hflip,
        "parameters": count_parameters(model),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_seconds": round(result.train_seconds, 2),
        "device": device,
        "val_accuracy": result.val_accuracy,
        "test_accuracy_at_train": result.test_accuracy,
    }
    (out / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
    (out / HISTORY_FILE).write_text(json.dumps(result.history, indent=2) + "\n", "utf-8")

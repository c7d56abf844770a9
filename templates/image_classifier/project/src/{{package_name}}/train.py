"""Training: augmentation on the device, mixed precision on CUDA; the data held on the device, or
streamed from shards (`pack`) for data larger than memory (batches.py).

Runs on one CPU or GPU, or on several GPUs / machines under ``torchrun`` (DistributedDataParallel,
NCCL on CUDA and gloo on CPU). Every epoch ends with a checkpoint; ``resume=True`` continues from
the last one and, because each epoch's shuffling and augmentation are seeded by the epoch number,
ends where an uninterrupted run would have. Only the validation split is scored here: the test
split is scored once, by `evaluate`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from .artifacts import MODEL_FILE, load_trained, save_trained, training_metadata
from .backbone import build_model, check_available, choose_model, keep_pretrained_statistics
from .batches import statistics_sample, training_batches
from .cpu import announce, usable_cores
from .data import Dataset, load_dataset, native_side
from .devices import Dist, autocast_for, init_distributed, seed_everything, set_threads
from .gate import choose_served, fit_pixel_logistic, predictor
from .inference import augment, channel_stats, predict_logits
from .model import ModelConfig, count_parameters
from .optim import load_checkpoint, lr_lambda, make_optimizer, save_checkpoint
from .paths import display_path
from .settings import TrainConfig, TrainResult
from .shards import is_shards
from .splits import save_split
from .tracking import tracked_run
from .validate import enforce_bad_share

CHECKPOINT_FILE = "last.pt"
__all__ = ["CHECKPOINT_FILE", "TrainConfig", "TrainResult", "load_trained", "train"]


def load_slowdown(threads: int) -> float:
    """How many times slower than on a quiet machine: the other runnable processes (the 1-minute
    load average, less this one) share the usable cores with our ``threads``."""
    others = max(0.0, os.getloadavg()[0] - 1)
    return max(1.0, (others + threads) / usable_cores())


def estimate_seconds(cfg: TrainConfig, n_train: int, size: int) -> float:
    """CPU time of the epochs, from 0.8 ms per image and epoch for width 16 at 28 px on 2 quiet
    cores (measured on MNIST), scaled by width squared, input area, the threads available and
    the machine's load."""
    per_image = 0.8e-3 * (cfg.width / 16) ** 2 * (size / 28) ** 2
    if cfg.backbone:  # a ResNet-18-sized backbone: about 0.1 s an image at 224 px
        per_image = 0.1 * (size / 224) ** 2
    threads = torch.get_num_threads()
    per_image *= 2 / threads * load_slowdown(threads)
    return 3 + per_image * n_train * cfg.epochs


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
    """Train on ``cfg.data`` (or ``dataset``), save to ``cfg.out_dir`` and return the history.

    ``cfg.backbone="auto"`` fine-tunes a pretrained backbone for photos and trains the CNN from
    scratch for small images (backbone.choose_model); the result's metadata says which."""
    side = dataset.image_size if dataset is not None else native_side(cfg.data)
    cfg, choice = choose_model(cfg, side)
    info, device = init_distributed(cfg.device)
    if info.main:
        log(choice)
    try:
        if cfg.backbone:
            check_available(cfg.backbone)  # before any image is decoded
        return _train(cfg, info, device, resume, track, experiment, progress, dataset, log)
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def _load(cfg: TrainConfig, info: Dist, show: bool) -> Dataset:
    def load(download: bool) -> Dataset:
        return load_dataset(
            cfg.data, Path(cfg.data_dir), image_size=cfg.image_size, channels=cfg.channels,
            val_fraction=cfg.val_fraction, test_fraction=cfg.test_fraction, seed=cfg.seed,
            download=download, progress=show, fit=cfg.fit,
            only=() if is_shards(cfg.data) else ("train", "val"),  # shards: streamed
        )  # fmt: skip

    if info.world > 1 and cfg.download:  # rank 0 downloads while the others wait
        if info.main:
            load(download=True)
        dist.barrier()
    return load(download=cfg.download and info.world == 1)


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
    dataset = dataset or _load(cfg, info, show)
    enforce_bad_share(dataset, cfg.max_bad_share)
    if info.main:
        sizes = ", ".join(f"{k} {v}" for k, v in dataset.sizes().items() if k != "test")
        log(
            f"data: {display_path(dataset.source)}, {len(dataset.classes)} classes, {sizes}, "
            f"{dataset.channels}x{dataset.image_size}x{dataset.image_size}, "
            f"{dataset.skipped} unreadable file(s) skipped; "
            f"device {device}, {info.world} process(es)"
        )
        for note in dataset.notes:
            log(f"note: {note}")

    if info.main and device.type == "cpu":
        announce(estimate_seconds(cfg, dataset.sizes()["train"], dataset.image_size), "train")
    channels_last = cfg.channels_last  # faster with cuDNN and, in our measurements, oneDNN
    memory_format = torch.channels_last if channels_last else torch.preserve_format
    if cfg.backbone:
        from .backbone import load_pretrained

        model, model_cfg = load_pretrained(cfg.backbone, len(dataset.classes), dataset.channels)
    else:
        mean, std = channel_stats(statistics_sample(dataset, cfg.fit))
        model_cfg = ModelConfig(len(dataset.classes), dataset.channels, cfg.width, mean, std)
        model = build_model(model_cfg)
    model = model.to(device, memory_format=memory_format)
    lr = cfg.lr if cfg.lr is not None else (0.01 if cfg.backbone else 0.2)
    crop_scale = cfg.crop_scale if cfg.crop_scale is not None else (0.35 if cfg.backbone else 1)

    batches, val_x, val_y = training_batches(dataset, cfg, info.rank, info.world, device)
    steps_per_epoch = batches.steps
    total_steps = steps_per_epoch * cfg.epochs

    optimizer = make_optimizer(model, cfg, lr)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda(total_steps, cfg.warmup))
    context, scaler = autocast_for(device, cfg.amp)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)

    checkpoint = Path(cfg.checkpoint_dir) / CHECKPOINT_FILE
    history: list[dict[str, float]] = []
    start_epoch = 0
    if resume:
        history, start_epoch = load_checkpoint(
            checkpoint, device, model, optimizer, scheduler, scaler, model_cfg, cfg.epochs
        )
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
    arch = Path(cfg.backbone).name if cfg.backbone else f"w{cfg.width}"
    run_name = f"{Path(cfg.data).name}-{arch}-e{cfg.epochs}"
    with tracked_run(experiment, run_name=run_name, enabled=track and info.main) as run:
        run.params(
            {**cfg.public(), "world_size": info.world, "parameters": count_parameters(model)}
            | {f"n_{k}": v for k, v in dataset.sizes().items() if k != "test"}
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
            if cfg.backbone:
                keep_pretrained_statistics(model, cfg.backbone_lr)
            generator.manual_seed(cfg.seed * 104729 + epoch * info.world + info.rank)
            loss_sum = torch.zeros((), device=device)
            correct = torch.zeros((), device=device)
            for batch, y in batches.epoch(epoch):
                x = augment(batch, cfg.translate, cfg.hflip, generator, crop_scale)
                if channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
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
                loss_sum += loss.detach() * len(y)
                correct += (logits.detach().argmax(1) == y).sum()
                bar.update()
            if info.world > 1:
                totals = torch.stack([loss_sum, correct.float()])
                dist.all_reduce(totals)
                loss_sum, correct = totals[0], totals[1]
            seen = max(1, batches.seen)
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
                save_checkpoint(
                    checkpoint, model, optimizer, scheduler, scaler, epoch, cfg, history, model_cfg
                )
            if info.world > 1:
                dist.barrier()
        bar.close()
        train_seconds = time.perf_counter() - started
        result = TrainResult(
            history=history,
            val_accuracy=history[-1].get("val_accuracy") if history else None,
            train_seconds=train_seconds,
            model_path=Path(cfg.out_dir) / MODEL_FILE,
            dataset_sizes=dataset.sizes(),
            skipped=dataset.skipped,
        )
        if info.main:
            metadata = training_metadata(cfg, model, model_cfg, dataset, result, device.type)
            baseline = fit_pixel_logistic(
                batches, statistics_sample(dataset, cfg.fit), len(dataset.classes),
                dataset.image_size, device, cfg.seed,
            )  # fmt: skip
            candidates = {"model": model, "baseline": baseline[0]}
            predict = predictor(device, cfg.amp, channels_last)
            metadata |= choose_served(cfg.serve, candidates, val_x, val_y, predict, log)
            result.served = metadata["served"]
            save_trained(cfg.out_dir, model, model_cfg, metadata, history, baseline)
            save_split(cfg.out_dir, dataset, metadata["data"])
            final = {"train_seconds": train_seconds}
            if result.val_accuracy is not None:
                final["final_val_accuracy"] = result.val_accuracy
            run.metrics(final)
            for name in ("metadata.json", "history.json", "split.json"):
                run.artifact(Path(cfg.out_dir) / name)
    return result

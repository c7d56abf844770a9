"""Augmentation at train time and batched prediction (uint8 images in, logits out)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .devices import autocast_for


def random_resized_crop(
    x: torch.Tensor, min_scale: float, generator: torch.Generator
) -> torch.Tensor:
    """Crop each image to a random share (``min_scale`` to all) of its area and aspect 3:4 to
    4:3, at a random place, resized back to its size (bilinear; batched on the device)."""
    n, dev = x.shape[0], x.device
    area = min_scale + (1 - min_scale) * torch.rand(n, device=dev, generator=generator)
    log_ratio = (torch.rand(n, device=dev, generator=generator) * 2 - 1) * math.log(4 / 3)
    ratio = torch.exp(log_ratio)
    w = torch.sqrt(area * ratio).clamp(max=1.0)
    h = torch.sqrt(area / ratio).clamp(max=1.0)
    cx = (torch.rand(n, device=dev, generator=generator) * 2 - 1) * (1 - w)
    cy = (torch.rand(n, device=dev, generator=generator) * 2 - 1) * (1 - h)
    theta = torch.zeros(n, 2, 3, device=dev)
    theta[:, 0, 0], theta[:, 0, 2], theta[:, 1, 1], theta[:, 1, 2] = w, cx, h, cy
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)


def augment(
    images: torch.Tensor,
    translate: int,
    hflip: bool,
    generator: torch.Generator,
    crop_scale: float = 1.0,
) -> torch.Tensor:
    """Random resized crops (``crop_scale`` < 1), random translation (reflect padding) and
    horizontal flips of a uint8 batch, on its device. Returns floats in [0, 1].

    The batch holds the images exactly as evaluation and serving prepare them (shorter side
    resized, centre square: preprocess.to_array), so a crop of scale 1 is their input and every
    training view is a part of it at the same resolution."""
    x = images.float().div_(255)
    if crop_scale < 1:
        x = random_resized_crop(x, crop_scale, generator)
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


def _chunks(images: Any, batch_size: int) -> Iterator[torch.Tensor]:
    """uint8 batches of an array or tensor, or of a streamed split (batches.StreamedBatches)."""
    if hasattr(images, "in_order"):
        yield from (x for x, _ in images.in_order(batch_size))
        return
    if isinstance(images, np.ndarray):
        images = torch.from_numpy(images)
    for start in range(0, len(images), batch_size):
        yield images[start : start + batch_size]


@torch.no_grad()
def predict_logits(
    model: nn.Module,
    images: Any,
    *,
    device: torch.device,
    batch_size: int = 1024,
    tta_flip: bool = False,
    amp: bool = True,
    channels_last: bool = False,
) -> torch.Tensor:
    """Logits (float32, on the CPU) for uint8 images (an array, a tensor or a streamed split),
    with optional flip test-time augmentation."""
    model.eval()
    context, _ = autocast_for(device, amp)
    out = []
    for chunk in _chunks(images, batch_size):
        x = chunk.to(device, non_blocking=True).float().div_(255)
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
    """Per-channel mean and standard deviation of uint8 images, in [0, 1] units (a sample)."""
    sample = images[:: max(1, len(images) // 5000)].astype(np.float32) / 255
    mean = sample.mean(axis=(0, 2, 3))
    std = sample.std(axis=(0, 2, 3)) + 1e-3
    return tuple(float(v) for v in mean), tuple(float(v) for v in std)

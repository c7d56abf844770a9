"""A compact residual CNN (the ResNet-9 layout of the fast CIFAR-10 training recipes).

prep conv -> [conv, pool, residual] -> [conv, pool] -> [conv, pool, residual] -> global max pool
-> linear. ``width`` sets the channels (width, 2w, 4w, 8w): 64 is the classic GPU model, 16 trains
MNIST-sized data on a laptop CPU in under a minute. Inputs are floats in [0, 1]; the model
normalises them itself, so exported models take plain pixels / 255.

``PixelLogistic`` is the baseline `train` fits beside it (gate.py): a multinomial logistic
regression on the normalised pixels, average-pooled to at most 1,024 values as the scikit-learn
baselines see them (baselines.pixel_features), exported and served the same way.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .baselines import pool_factor


@dataclass(frozen=True)
class ModelConfig:
    num_classes: int
    channels: int = 3
    width: int = 32
    mean: tuple[float, ...] = (0.5, 0.5, 0.5)
    std: tuple[float, ...] = (0.25, 0.25, 0.25)
    arch: str = "resnet9"  # or the hub id / folder of a pretrained `transformers` checkpoint
    backbone: dict | None = None  # that checkpoint's config (weights come from model.pt)
    image_size: int | None = None  # the input side: set for "logistic" (its weights depend on it)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ModelConfig:
        return cls(**{**values, "mean": tuple(values["mean"]), "std": tuple(values["std"])})

    @property
    def name(self) -> str:
        if self.arch == "resnet9":
            return f"ResNet-9 from scratch (width {self.width})"
        if self.arch == "logistic":
            return "logistic regression (pixels, served baseline)"
        return f"{self.arch} fine-tuned"


def conv_bn(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class Residual(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(conv_bn(channels, channels), conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResNet9(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.register_buffer("mean", torch.tensor(config.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(config.std).view(1, -1, 1, 1))
        self.features = nn.Sequential(
            conv_bn(config.channels, w),
            conv_bn(w, 2 * w),
            nn.MaxPool2d(2),
            Residual(2 * w),
            conv_bn(2 * w, 4 * w),
            nn.MaxPool2d(2),
            conv_bn(4 * w, 8 * w),
            nn.MaxPool2d(2),
            Residual(8 * w),
            nn.AdaptiveMaxPool2d(1),
            nn.Flatten(),
        )
        self.classifier = nn.Linear(8 * w, config.num_classes, bias=False)
        self.scale = 0.125  # keeps the initial logits small (fast, stable start)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        return self.classifier(self.features(x)) * self.scale


class PixelLogistic(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        side, channels = config.image_size or 1, config.channels
        factor = pool_factor(channels, side, side)
        self.register_buffer("mean", torch.tensor(config.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(config.std).view(1, -1, 1, 1))
        self.pool = nn.AvgPool2d(factor) if factor > 1 else nn.Identity()
        features = channels * (side // factor) ** 2
        self.classifier = nn.Linear(features, config.num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool((x - self.mean) / self.std)
        return self.classifier(x.flatten(1))


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

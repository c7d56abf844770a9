"""Pretrained backbones for transfer learning, from the Hugging Face hub via `transformers`,
a local checkpoint folder, or a torchvision/timm ResNet ``state_dict`` file (statedict.py).

Any image-classification checkpoint works (``microsoft/resnet-18``, ``microsoft/resnet-50``,
``facebook/convnext-tiny-224``, ``google/mobilenet_v2_1.0_224``, ``WinKawaks/vit-tiny-patch16-224``
...; no torchvision needed). The classifier head is replaced by one for your classes; the
backbone's own normalisation is applied inside the module, so, like the from-scratch CNN, the
model takes pixels / 255 and exports to ONNX unchanged. A saved model is rebuilt from its stored
config and weights: serving and `evaluate` never contact the hub.
"""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .model import ModelConfig, PixelLogistic, ResNet9
from .paths import display_path
from .settings import TrainConfig
from .statedict import (
    LITE_MEAN,
    LITE_STD,
    is_state_dict_file,
    lite_net,
    load_state_dict_backbone,
    read_state_dict,
)

#: What ``--backbone auto`` fine-tunes for photos: 11.7M parameters, Apache-2.0, ImageNet-1k.
DEFAULT_BACKBONE = "microsoft/resnet-18"
#: Images whose median shorter side is at least this are photos: ``auto`` fine-tunes for them.
PHOTO_SIDE = 64
#: The input side a backbone trains at unless ``--image-size`` says otherwise (CPU-friendly;
#: ResNets pool adaptively, so 160 px keeps most of 224 px's accuracy at half the cost).
BACKBONE_SIZE = 160
#: Epochs when none are given: fine-tuning converges in fewer than training from scratch.
EPOCHS = {"scratch": 10, "backbone": 5}
NO_BACKBONE = {"none", "scratch", ""}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Pretrained(nn.Module):
    """A pretrained image classifier (`transformers`, or an EfficientNet-Lite) taking floats in
    [0, 1] (grayscale repeated to RGB)."""

    def __init__(self, config: Any, net: nn.Module | None = None) -> None:
        super().__init__()
        self.config = config
        self.lite = config.backbone.get("model_type") == "efficientnet-lite"
        if net is None and self.lite:
            net = lite_net(config.backbone)
        elif net is None:
            from transformers import AutoConfig, AutoModelForImageClassification

            hf_config = AutoConfig.for_model(**config.backbone)
            net = AutoModelForImageClassification.from_config(hf_config)
        self.net = net
        self.register_buffer("mean", torch.tensor(config.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(config.std).view(1, -1, 1, 1))
        self.in_channels = 3 if self.lite else int(net.config.num_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1 and self.in_channels == 3:
            x = x.expand(-1, 3, -1, -1)
        x = (x - self.mean) / self.std
        return self.net(x) if self.lite else self.net(pixel_values=x).logits

    def head_names(self) -> set[str]:
        """Names of the parameters of the new classifier head (trained at the full rate)."""
        head = ".net._fc." if self.lite else ".classifier."
        return {n for n, _ in self.named_parameters() if head in f".{n}"}


def keep_pretrained_statistics(model: nn.Module, backbone_lr: float) -> None:
    """Call after ``model.train()``: the backbone's BatchNorm layers stay in eval mode, so they
    keep their ImageNet statistics (batches of a few dozen new images would replace them, and
    the evaluation would use statistics training never saw: 55% instead of 76% on Fashion-MNIST
    with 30 images a class). ``backbone_lr == 0`` is a linear probe: only the head learns."""
    head = model.head_names() if hasattr(model, "head_names") else set()
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.eval()
    if backbone_lr == 0:
        for name, p in model.named_parameters():
            p.requires_grad_(name in head)


def first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0].rstrip(".")


def unreachable(name: str, exc: BaseException) -> ValueError:
    return ValueError(
        f"cannot load the backbone {name!r} (offline, or a typo?): {first_line(exc)}; "
        "--backbone none trains the CNN from scratch instead"
    )


@cache
def hub_reachable(timeout: float = 5.0) -> bool:
    """Whether the Hugging Face hub answers one quick request (asked once a process): when it
    does not, checkpoints load from the local cache only, so nothing retries for minutes."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    from huggingface_hub import constants

    if constants.HF_HUB_OFFLINE:
        return False
    try:
        urlopen(Request(constants.ENDPOINT, method="HEAD"), timeout=timeout).close()
    except HTTPError:
        return True  # it answered
    except (OSError, ValueError):
        return False
    return True


def local_only(name: str) -> bool:
    """Load ``name`` without the hub: a local folder, or a hub id while the hub is unreachable."""
    return Path(name).exists() or is_state_dict_file(name) or not hub_reachable()


def check_available(name: str) -> None:
    """Find the checkpoint's config (cached, local or fetched): fail in one line, in seconds,
    before any image is decoded."""
    from transformers import AutoConfig

    if is_state_dict_file(name):
        read_state_dict(name)
        return
    try:
        AutoConfig.from_pretrained(name, local_files_only=local_only(name))
    except (OSError, ValueError) as exc:
        raise unreachable(name, exc) from exc


def load_pretrained(name: str, num_classes: int, channels: int) -> tuple[Pretrained, Any]:
    """The checkpoint ``name`` (hub id, folder or state_dict file) with a new head for
    ``num_classes``."""
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    offline = local_only(name)
    try:
        labels = {i: f"class_{i}" for i in range(num_classes)}
        if is_state_dict_file(name):
            net, backbone = load_state_dict_backbone(name, num_classes)
        else:
            net = AutoModelForImageClassification.from_pretrained(
                name, id2label=labels, local_files_only=offline,
                label2id={v: k for k, v in labels.items()}, ignore_mismatched_sizes=True,
            )  # fmt: skip
            backbone = net.config.to_dict()
    except OSError as exc:
        raise unreachable(name, exc) from exc
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    try:
        processor = AutoImageProcessor.from_pretrained(name, local_files_only=offline)
        mean, std = tuple(processor.image_mean), tuple(processor.image_std)
    except (OSError, ValueError, AttributeError, TypeError):
        pass  # no preprocessor config: ImageNet statistics, as almost all image checkpoints use
    if backbone.get("model_type") == "efficientnet-lite":
        mean, std = LITE_MEAN, LITE_STD
    backbone.pop("_name_or_path", None)  # may be a local absolute path
    config = ModelConfig(
        num_classes, channels, width=0, mean=mean, std=std, arch=display_path(name),
        backbone=backbone,
    )  # fmt: skip
    return Pretrained(config, net), config


def choose_model(cfg: TrainConfig, native_side: int) -> tuple[TrainConfig, str]:
    """Resolve ``--backbone auto`` (and the epochs left unset) for data whose images have a
    median shorter side of ``native_side`` px; return the settings and a line saying why.

    ``auto`` fine-tunes :data:`DEFAULT_BACKBONE` at :data:`BACKBONE_SIZE` px for photos and
    trains the from-scratch ResNet-9 for small images (CIFAR-10, MNIST-like digits, icons):
    99.3% on MNIST in about 20 s of CPU training (benchmarks/), where a 160 px backbone would
    cost many times more. ``none`` always trains from scratch.
    """
    setting = (cfg.backbone or "none").strip()
    if setting.lower() == "auto":
        photo = native_side >= PHOTO_SIDE
        backbone = DEFAULT_BACKBONE if photo else None
        why = (
            f"images of {native_side} px are photos: fine-tuning {DEFAULT_BACKBONE} "
            "(--backbone none: the CNN from scratch)"
            if photo
            else f"images of {native_side} px are small: training the ResNet-9 from scratch "
            f"(--backbone {DEFAULT_BACKBONE} to fine-tune anyway)"
        )
    elif setting.lower() in NO_BACKBONE:
        backbone, why = None, "training the ResNet-9 from scratch (--backbone none)"
    else:
        backbone, why = setting, f"fine-tuning {setting}"
    epochs = cfg.epochs or EPOCHS["backbone" if backbone else "scratch"]
    image_size = cfg.image_size or (BACKBONE_SIZE if backbone else None)
    return replace(cfg, backbone=backbone, epochs=epochs, image_size=image_size), f"model: {why}"


def build_model(config: ModelConfig) -> nn.Module:
    """The from-scratch ResNet-9, or a pretrained backbone's architecture (weights: load them)."""
    if config.arch == "resnet9":
        return ResNet9(config)
    if config.arch == "logistic":
        return PixelLogistic(config)
    return Pretrained(config)

"""Pretrained backbones for transfer learning, from the Hugging Face hub via `transformers`.

Any image-classification checkpoint works (``microsoft/resnet-18``, ``microsoft/resnet-50``,
``facebook/convnext-tiny-224``, ``google/mobilenet_v2_1.0_224``, ``WinKawaks/vit-tiny-patch16-224``
...; no torchvision needed). The classifier head is replaced by one for your classes; the
backbone's own normalisation is applied inside the module, so, like the from-scratch CNN, the
model takes pixels / 255 and exports to ONNX unchanged. A saved model is rebuilt from its stored
config and weights: serving and `evaluate` never contact the hub.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class Pretrained(nn.Module):
    """A `transformers` image classifier taking floats in [0, 1] (grayscale repeated to RGB)."""

    def __init__(self, config: Any, net: nn.Module | None = None) -> None:
        super().__init__()
        self.config = config
        if net is None:
            from transformers import AutoConfig, AutoModelForImageClassification

            hf_config = AutoConfig.for_model(**config.backbone)
            net = AutoModelForImageClassification.from_config(hf_config)
        self.net = net
        self.register_buffer("mean", torch.tensor(config.mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(config.std).view(1, -1, 1, 1))
        self.in_channels = int(net.config.num_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[1] == 1 and self.in_channels == 3:
            x = x.expand(-1, 3, -1, -1)
        x = (x - self.mean) / self.std
        return self.net(pixel_values=x).logits

    def head_names(self) -> set[str]:
        """Names of the parameters of the new classifier head (trained at the full rate)."""
        return {n for n, _ in self.named_parameters() if ".classifier." in f".{n}"}


def load_pretrained(name: str, num_classes: int, channels: int) -> tuple[Pretrained, Any]:
    """The checkpoint ``name`` (hub id or local folder) with a new head for ``num_classes``."""
    from transformers import AutoImageProcessor, AutoModelForImageClassification

    from .artifacts import display_path
    from .model import ModelConfig

    try:
        labels = {i: f"class_{i}" for i in range(num_classes)}
        net = AutoModelForImageClassification.from_pretrained(
            name, id2label=labels,
            label2id={v: k for k, v in labels.items()}, ignore_mismatched_sizes=True,
        )  # fmt: skip
    except OSError as exc:
        raise ValueError(f"cannot load the backbone {name!r} (offline, or a typo?): {exc}") from exc
    mean, std = IMAGENET_MEAN, IMAGENET_STD
    try:
        processor = AutoImageProcessor.from_pretrained(name)
        mean, std = tuple(processor.image_mean), tuple(processor.image_std)
    except (OSError, ValueError, AttributeError, TypeError):
        pass  # no preprocessor config: ImageNet statistics, as almost all image checkpoints use
    hf_config = net.config.to_dict()
    hf_config.pop("_name_or_path", None)  # may be a local absolute path
    config = ModelConfig(
        num_classes, channels, width=0, mean=mean, std=std, arch=display_path(name),
        backbone=hf_config,
    )  # fmt: skip
    return Pretrained(config, net), config

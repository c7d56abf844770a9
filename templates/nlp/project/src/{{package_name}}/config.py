"""The settings of a run: `TrainConfig` (data, split, thresholds, where to save) holds a
`FinetuneConfig` (the fine-tuning recipe); `train` saves both with the model."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import defaults
from .datasets import NAME


@dataclass
class FinetuneConfig:
    model: str = defaults.BASE_MODEL
    max_length: int = 128
    epochs: int = 3
    batch_size: int = 32
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup: float = 0.1
    patience: int = 2
    evals_per_epoch: int = 1
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    checkpoint_dir: str = "checkpoints"
    max_steps: int | None = None


@dataclass
class TrainConfig:
    data: str = NAME
    data_dir: str = "data"
    download: bool = False
    text_column: str = "text"
    label_columns: list[str] = field(default_factory=lambda: ["label"])
    split_column: str | None = None
    group_column: str | None = None
    encoding: str | None = None
    val_fraction: float = 0.1
    test_fraction: float = 0.2
    max_train: int | None = None
    max_bad_share: float = 0.01
    benign: list[str] | None = None
    block_precision: float = 0.9
    review_recall: float = 0.9
    serve: str = "auto"
    out_dir: str = "artifacts"
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)

    @classmethod
    def from_dict(cls, settings: Mapping[str, Any]) -> TrainConfig:
        """From flat settings (command-line options; metadata of 0.1.0 projects) or from
        ``dataclasses.asdict`` (metadata.json): each setting goes to the dataclass that has it."""
        flat = {k: v for k, v in settings.items() if k != "finetune"}
        flat.update(settings.get("finetune") or {})
        tuned = {f.name for f in dataclasses.fields(FinetuneConfig)}
        own = {f.name for f in dataclasses.fields(cls)} - {"finetune"}
        if unknown := sorted(set(flat) - tuned - own):
            raise TypeError(f"unknown training settings: {', '.join(unknown)}")
        return cls(
            **{k: v for k, v in flat.items() if k in own},
            finetune=FinetuneConfig(**{k: v for k, v in flat.items() if k in tuned}),
        )

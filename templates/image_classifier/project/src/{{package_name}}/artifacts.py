"""The trained model on disk: artifacts/model.pt, baseline.pt, metadata.json and history.json.

metadata.json's ``served`` says which of the two `export` exports and `evaluate` scores: the
model, or the pixel baseline `train` fitted beside it (gate.py).

Metadata never holds an absolute local path (it is served by the API and shipped in the image):
data paths are stored relative to the working directory (``..`` included, so a bare `evaluate`
finds data kept elsewhere), names such as a backbone's folder by their last part only.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .backbone import build_model
from .model import ModelConfig
from .paths import display_path, portable_path

MODEL_FILE = "model.pt"
BASELINE_FILE = "baseline.pt"
METADATA_FILE = "metadata.json"
HISTORY_FILE = "history.json"


def unwrap(model: nn.Module) -> nn.Module:
    """The plain module inside DistributedDataParallel and torch.compile wrappers."""
    model = getattr(model, "module", model)
    return getattr(model, "_orig_mod", model)


def read_metadata(out_dir: Path | str) -> dict[str, Any]:
    path = Path(out_dir) / METADATA_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no trained model in {display_path(out_dir)}: run `train` first")
    return json.loads(path.read_text("utf-8"))


def write_metadata(out_dir: Path | str, metadata: dict[str, Any]) -> None:
    """Replace metadata.json atomically (a running server reloads when it changes)."""
    path = Path(out_dir) / METADATA_FILE
    staged = path.with_name(f".{METADATA_FILE}.tmp")
    staged.write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")
    os.replace(staged, path)


def served_config(metadata: dict[str, Any]) -> dict[str, Any]:
    """The model configuration of what is served (metadata's ``served``: model or baseline)."""
    return metadata["baseline_model" if metadata.get("served") == "baseline" else "model"]


def load_trained(
    out_dir: Path | str, device: str | torch.device = "cpu", *, served: bool = False
) -> tuple[nn.Module, dict]:
    """The trained model (or, with ``served``, what is served: it or the baseline) and the
    metadata from ``out_dir`` (raises FileNotFoundError)."""
    out_dir = Path(out_dir)
    baseline = served and read_metadata(out_dir).get("served") == "baseline"
    path = out_dir / (BASELINE_FILE if baseline else MODEL_FILE)
    if not path.is_file():
        raise FileNotFoundError(f"no trained model at {display_path(path)}: run `train` first")
    saved = torch.load(path, map_location=device, weights_only=True)
    model = build_model(ModelConfig.from_dict(saved["model_config"]))
    model.load_state_dict(saved["state_dict"])
    return model.to(device).eval(), read_metadata(out_dir)


def save_trained(
    out_dir: Path | str,
    model: nn.Module,
    model_cfg: ModelConfig,
    metadata: dict[str, Any],
    history: list[dict[str, float]],
    baseline: tuple[nn.Module, ModelConfig] | None = None,
) -> Path:
    """Write the weights (and the baseline's), the metadata (plus a timestamp) and the history;
    drop a stale export and baseline."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in [*out.glob("model.onnx*"), out / BASELINE_FILE]:  # of the previous model
        stale.unlink(missing_ok=True)
    _save_weights(out / MODEL_FILE, model, model_cfg)
    metadata = {**metadata, "trained_at": datetime.now(UTC).isoformat(timespec="seconds")}
    if baseline is not None:
        _save_weights(out / BASELINE_FILE, *baseline)
        metadata["baseline_model"] = baseline[1].to_dict()
    write_metadata(out, metadata)
    (out / HISTORY_FILE).write_text(json.dumps(history, indent=2) + "\n", "utf-8")
    return out / MODEL_FILE


def _save_weights(path: Path, model: nn.Module, config: ModelConfig) -> None:
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    torch.save({"state_dict": state, "model_config": config.to_dict()}, path)


def training_metadata(cfg, model, model_cfg, dataset, result, device: str) -> dict[str, Any]:
    """What `train` records about the model, its data and its run (no absolute paths)."""
    return {
        "classes": dataset.classes,
        "image_size": dataset.image_size,
        "channels": dataset.channels,
        "fit": cfg.fit,
        "model": model_cfg.to_dict(),
        "train_config": cfg.public(),
        "data": portable_path(dataset.source),
        "dataset_sizes": {k: v for k, v in dataset.sizes().items() if k != "test"},
        "skipped_files": dataset.skipped,
        "data_notes": dataset.notes,
        "tta_flip": cfg.hflip,
        "parameters": sum(p.numel() for p in model.parameters()),
        "train_seconds": round(result.train_seconds, 2),
        "device": device,
        "val_accuracy": result.val_accuracy,
    }

"""The trained model on disk: artifacts/model.pt, metadata.json and history.json.

Metadata never holds an absolute local path (it is served by the API and shipped in the image):
data paths are stored relative to the working directory (``..`` included, so a bare `evaluate`
finds data kept elsewhere), names such as a backbone's folder by their last part only.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from torch import nn

from .backbone import build_model
from .model import ModelConfig
from .paths import display_path, portable_path

MODEL_FILE = "model.pt"
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
    (Path(out_dir) / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", "utf-8")


def load_trained(out_dir: Path | str, device: str | torch.device = "cpu") -> tuple[nn.Module, dict]:
    """The trained model and its metadata from ``out_dir`` (raises FileNotFoundError)."""
    out_dir = Path(out_dir)
    path = out_dir / MODEL_FILE
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
) -> Path:
    """Write the weights, the metadata (plus a timestamp) and the history; drop a stale export."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("model.onnx*"):  # exported from the previous model: export again
        stale.unlink()
    state = {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}
    torch.save({"state_dict": state, "model_config": model_cfg.to_dict()}, out / MODEL_FILE)
    metadata = {**metadata, "trained_at": datetime.now(UTC).isoformat(timespec="seconds")}
    write_metadata(out, metadata)
    (out / HISTORY_FILE).write_text(json.dumps(history, indent=2) + "\n", "utf-8")
    return out / MODEL_FILE


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

"""The served ONNX model's version: a content hash of its files that `export` writes into
metadata.json last; a folder whose files do not hash to it is never served (no torch needed)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

ONNX_FILE = "model.onnx"
METADATA_FILE = "metadata.json"


def onnx_files(folder: Path) -> list[Path]:
    """The ONNX model and its external-data file(s), if the exporter wrote any."""
    model = folder / ONNX_FILE
    if not model.is_file():
        return []
    return [model, *sorted(p for p in folder.glob(ONNX_FILE + "*") if p != model)]


def onnx_version(folder: Path) -> str:
    """12 hex digits of SHA-256 over the ONNX files' bytes, in order."""
    digest = hashlib.sha256()
    for path in onnx_files(folder):
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()[:12]


def model_problem(folder: Path) -> str | None:
    """Why ``folder`` cannot be served (no export, or files that are not the exported ones)."""
    meta = folder / METADATA_FILE
    expected = json.loads(meta.read_text("utf-8")).get("model_version") if meta.is_file() else None
    if expected is None and meta.is_file() and (folder / "model.pt").is_file():
        return f"no exported model in {folder.name}/: trained, not exported yet: run `export`"
    if expected is None or not onnx_files(folder):
        return f"no exported model in {folder.name}/: run `train`, then `export`"
    if onnx_version(folder) != expected:
        return f"{folder.name}/{ONNX_FILE} is not the exported model {expected}: run `export`"
    return None

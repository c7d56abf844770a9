"""The served ONNX model's lifecycle: versioned by content, checked on load, reloaded live.

``model_version`` is a content hash of the ONNX files (`export` writes it into metadata.json).
`export` puts the new ONNX files in place by renames, then replaces metadata.json (atomically)
last, so a changed metadata.json announces a complete export. A running server checks
metadata.json (one stat, at most once every ``interval`` seconds) and loads a changed folder in a
background thread, answering with the old model meanwhile. A folder whose ONNX files do not hash
to metadata.json's version (`train` without `export`, or a failed or partial export) is never
loaded: the server keeps the old model and says it is stale. Needs no torch.
"""

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

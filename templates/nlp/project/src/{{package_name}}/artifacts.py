"""Files `serve` reads, written so that only what passed is served: JSON written atomically, an
export staged in a temporary folder and renamed into place after its checks, and the served
model's version as a content hash of the files that decide its answers."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

METADATA_FILE, TOKENIZER_FILE = "metadata.json", "tokenizer.json"
# The settings in metadata.json that change an answer (the rest is provenance and metrics).
DECISIVE = ("labels", "multilabel", "max_length", "benign", "thresholds", "calibration")


def write_json(path: Path, value: object) -> None:
    """Write ``value`` to ``path`` through a temporary file and a rename: never half-written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(value, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def model_version(folder: Path, graph: str, meta: dict) -> str:
    """SHA-256 (first 16 hex digits) of the graph, the tokenizer and the decisive settings."""
    digest = hashlib.sha256()
    for name in (graph, TOKENIZER_FILE):
        with (folder / name).open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    digest.update(json.dumps({k: meta.get(k) for k in DECISIVE}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def publish(staging: Path, out_dir: Path, names: list[str]) -> None:
    """Move the checked files of ``staging`` into ``out_dir``; metadata.json (which names the
    served graph and its version) goes last, so it never points at a file that is not there."""
    for name in sorted(names, key=lambda n: n == METADATA_FILE):
        os.replace(staging / name, out_dir / name)

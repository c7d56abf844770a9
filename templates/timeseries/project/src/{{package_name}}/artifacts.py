"""The served artifacts' lifecycle: written aside, checked, published by a rename, versioned,
reloaded.

`train` writes a whole new artifacts folder beside the served one (``staging``), runs the checks
(ONNX parity of a deep model, the baseline gate) while it is still invisible, and only then swaps
it in with renames, so `serve` never reads a half-written model or one that failed a check: a
failure removes the staging folder and leaves the served one as it was. ``model_version`` is a
content hash of what decides the answers (model files and the serving settings): the same
training gives the same version. A running server checks ``meta.json`` (one stat, at most once a
second), loads a new folder in a background thread and answers with the old model until it is
ready; if the new one cannot be loaded it keeps the old one and says it is stale.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

META_FILE = "meta.json"
# The parts of meta.json that change an answer (the rest is provenance and metrics).
DECISIVE = ("model", "posted_model", "models", "freq", "calendar", "holidays", "seasons",
            "horizon", "levels", "exog", "lookback_weeks", "series")  # fmt: skip
# Files beside the model that do not change an answer: the backtest, the data options, the
# torch checkpoints the ONNX graphs were exported from.
NOT_SERVED = ("backtest.parquet", "load.json", META_FILE)


@contextmanager
def staged(target: Path) -> Iterator[Path]:
    """An empty folder beside ``target``; published as ``target`` when the block succeeds,
    removed (``target`` untouched) when it raises."""
    staging = target.with_name(f".{target.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(staging, target)


def publish(staging: Path, target: Path) -> None:
    """Swap ``staging`` in as ``target`` by renames; the previous folder is then removed."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def model_version(folder: Path, meta: dict) -> str:
    """16 hex digits of SHA-256 over the served model files and the decisive settings."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder)
        if rel.parts[0] in (*NOT_SERVED, "checkpoints"):
            continue
        digest.update(str(rel).encode())
        digest.update(path.read_bytes())
    digest.update(json.dumps({k: meta.get(k) for k in DECISIVE}, sort_keys=True).encode())
    return digest.hexdigest()[:16]


def file_fingerprint(path: Path | str) -> str:
    """``sha256:<hex>`` of a data file's bytes (the data fingerprint of the model card)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return f"sha256:{digest.hexdigest()}"

"""The exported model folder ``artifacts/<variant>/`` (what the Docker image bakes in) and the
:class:`ModelRecord` every model source loads into.

Each variant folder holds ``model.onnx`` (what the API serves), ``model.joblib`` (the pipeline,
for retraining and evaluation) and ``info.json`` (version, threshold, metrics, serving mode),
written last so that a reader never sees half a model.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import joblib

CHAMPION, CHALLENGER = "champion", "challenger"
REFERENCE = "reference.csv"  # the champion's training sample with scores: the drift reference
VARIANTS = (CHAMPION, CHALLENGER)
ONNX_DIR, ONNX_FILE = "onnx", "model.onnx"  # where a run keeps its served graph
MODES = ("ab", "shadow", "canary")  # how a challenger can serve
ROLLED_BACK = "rolled_back"  # a challenger's mode after its canary failed: it serves nowhere
GBM, BASELINE = "gradient boosting", "logistic baseline"  # the kinds of model a record holds


class ModelNotFound(LookupError):
    """No model is available where one was asked for."""


@dataclass
class ModelRecord:
    """A trained pipeline with what the API and the promotion step need to know about it."""

    pipeline: Any  # the scikit-learn pipeline; None when loaded for serving only
    version: str
    threshold: float
    metrics: dict[str, float] = field(default_factory=dict)
    run_id: str | None = None
    onnx: bytes | None = None  # the pipeline as ONNX: what the API serves
    mode: str | None = None  # how a challenger serves: shadow, ab, canary (None: the API's setting)
    kind: str = GBM  # which model it is: gradient boosting or the logistic baseline

    def graph(self) -> bytes:
        """The ONNX graph, converted from the pipeline on first use."""
        if self.onnx is None:
            from .onnx_model import to_onnx

            self.onnx = to_onnx(self.pipeline)
        return self.onnx

    @cached_property
    def digest(self) -> str:
        """The served graph's content hash (SHA-256, first 16 hex digits): what answers carry."""
        return hashlib.sha256(self.graph()).hexdigest()[:16]

    def info(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "sha256": self.digest,
            "kind": self.kind,
            "threshold": self.threshold,
            "metrics": self.metrics,
            "run_id": self.run_id,
            "mode": self.mode,
        }


def save_artifact(record: ModelRecord, artifacts_dir: Path, variant: str) -> Path:
    """Write one variant into ``artifacts_dir/<variant>/`` atomically: into a temporary folder
    beside it, then renamed into place, so a reader sees the old model or the new one whole."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    folder = artifacts_dir / variant
    staging = Path(tempfile.mkdtemp(prefix=f".{variant}-", dir=artifacts_dir))
    try:
        if record.pipeline is not None:
            joblib.dump(record.pipeline, staging / "model.joblib")
        (staging / ONNX_FILE).write_bytes(record.graph())
        (staging / "info.json").write_text(json.dumps(record.info(), indent=2), "utf-8")
        if folder.exists():  # swap: the old folder moves aside in one rename, the new one in
            old = Path(tempfile.mkdtemp(prefix=f".{variant}-old-", dir=artifacts_dir))
            os.replace(folder, old / variant)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def remove_artifact(artifacts_dir: Path, variant: str) -> None:
    shutil.rmtree(artifacts_dir / variant, ignore_errors=True)


def load_artifact(artifacts_dir: Path, variant: str, *, serving: bool = False) -> ModelRecord:
    """One variant from ``artifacts_dir`` (``serving``: the ONNX graph, not the pipeline)."""
    folder = artifacts_dir / variant
    needed = folder / (ONNX_FILE if serving else "model.joblib")
    if not needed.is_file() or not (folder / "info.json").is_file():
        raise ModelNotFound(f"no {variant} model in {artifacts_dir}: run `train` or `export` first")
    info = json.loads((folder / "info.json").read_text("utf-8"))
    onnx = folder / ONNX_FILE
    return ModelRecord(
        pipeline=None if serving else joblib.load(folder / "model.joblib"),
        version=str(info["version"]),
        threshold=float(info["threshold"]),
        metrics=info.get("metrics", {}),
        run_id=info.get("run_id"),
        onnx=onnx.read_bytes() if onnx.is_file() else None,
        mode=info.get("mode"),
        kind=info.get("kind", GBM),
    )


def artifact_state(artifacts_dir: Path, variant: str) -> tuple[str, str | None] | None:
    """(version, mode) of one variant's folder, or None when it has no readable model."""
    try:
        info = json.loads((artifacts_dir / variant / "info.json").read_text("utf-8"))
        return str(info["version"]), info.get("mode")
    except (OSError, ValueError, KeyError):
        return None


def set_artifact_mode(artifacts_dir: Path, variant: str, mode: str) -> None:
    """Change how ``variant`` serves (info.json only, atomically: the API reloads on the change)."""
    path = artifacts_dir / variant / "info.json"
    if not path.is_file():
        raise ModelNotFound(f"no {variant} model in {artifacts_dir}")
    info = json.loads(path.read_text("utf-8"))
    info["mode"] = mode
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(info, indent=2), "utf-8")
    tmp.replace(path)

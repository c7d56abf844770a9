"""Models in the MLflow registry (aliases ``champion`` and ``challenger``) and in ``artifacts/``.

The API serves either source: the exported ``artifacts/`` folder (what the Docker image bakes in) or
the registry itself (``MODEL_SOURCE=registry``). MLflow is imported lazily: serving from artifacts
needs no MLflow at all.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import inspect
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .artifacts import (
    CHALLENGER,
    CHAMPION,
    GBM,
    ONNX_DIR,
    ONNX_FILE,
    REFERENCE,
    VARIANTS,
    ModelNotFound,
    ModelRecord,
    artifact_state,
    load_artifact,
    remove_artifact,
    save_artifact,
)
from .tracking import DEFAULT_TRACKING_URI


def tracking_uri() -> str:
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def client():
    from mlflow.tracking import MlflowClient

    uri = tracking_uri()
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def ensure_experiment(name: str, artifact_root: Path) -> None:
    """Create ``name`` with artifacts under ``artifact_root`` when the store is local.

    A tracking server decides its own artifact store (e.g. MinIO), so remote URIs are left alone.
    """
    import mlflow

    uri = tracking_uri()
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    if uri.startswith(("http://", "https://", "databricks")):
        return
    if mlflow.get_experiment_by_name(name) is None:
        artifact_root.mkdir(parents=True, exist_ok=True)
        mlflow.create_experiment(name, artifact_location=artifact_root.resolve().as_uri())


def log_model(pipeline: Any, model_name: str, tags: dict[str, Any]) -> str:
    """Log ``pipeline`` to the active MLflow run, register it; return the new version number."""
    import mlflow
    import mlflow.sklearn

    kwargs: dict[str, Any] = {}
    if "skops_trusted_types" in inspect.signature(mlflow.sklearn.log_model).parameters:
        # Recent MLflow stores sklearn models with skops, which refuses types it has not been told
        # to trust. This pipeline was built by this process a moment ago, so its types are ours.
        import skops.io

        kwargs["serialization_format"] = "skops"
        kwargs["skops_trusted_types"] = skops.io.get_untrusted_types(data=skops.io.dumps(pipeline))
    # Pinning the requirements skips MLflow's inference, which re-imports the model in a subprocess.
    import sklearn

    requirements = [f"scikit-learn=={sklearn.__version__}", f"mlflow-skinny=={mlflow.__version__}"]
    if kwargs:
        requirements.append(f"skops=={importlib.metadata.version('skops')}")
    from .onnx_model import to_onnx

    with tempfile.TemporaryDirectory() as tmp:
        graph = Path(tmp) / ONNX_FILE
        graph.write_bytes(to_onnx(pipeline))
        mlflow.log_artifact(str(graph), artifact_path=ONNX_DIR)
    info = mlflow.sklearn.log_model(
        pipeline,
        name="model",
        registered_model_name=model_name,
        pip_requirements=requirements,
        **kwargs,
    )
    version = str(info.registered_model_version)
    mc = client()
    for key, value in tags.items():
        mc.set_model_version_tag(model_name, version, key, str(value))
    return version


def alias_version(model_name: str, alias: str) -> str | None:
    """The version behind ``alias``, or None."""
    from mlflow.exceptions import MlflowException

    try:
        return str(client().get_model_version_by_alias(model_name, alias).version)
    except MlflowException:
        return None


def check_version(model_name: str, version: str) -> None:
    """Raise ModelNotFound unless ``version`` of ``model_name`` is in the registry."""
    from mlflow.exceptions import MlflowException

    try:
        client().get_model_version(model_name, version)
    except MlflowException as exc:
        raise ModelNotFound(f"no version {version} of {model_name} at {tracking_uri()}") from exc


def set_alias(model_name: str, alias: str, version: str) -> None:
    client().set_registered_model_alias(model_name, alias, version)


def delete_alias(model_name: str, alias: str) -> None:
    from mlflow.exceptions import MlflowException

    with contextlib.suppress(MlflowException):
        client().delete_registered_model_alias(model_name, alias)


def load_registered(model_name: str, alias: str, *, serving: bool = False) -> ModelRecord:
    """Load the version behind ``alias`` from the registry (``serving``: the ONNX graph only)."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client().get_model_version_by_alias(model_name, alias)
    except MlflowException as exc:
        raise ModelNotFound(
            f"no {alias} of {model_name} in the registry at {tracking_uri()}"
        ) from exc
    pipeline = None
    if not serving:
        import mlflow.sklearn

        pipeline = mlflow.sklearn.load_model(f"models:/{model_name}@{alias}")
    tags = mv.tags or {}
    record = ModelRecord(
        pipeline=pipeline,
        version=str(mv.version),
        threshold=float(tags.get("threshold", 0.5)),
        metrics=json.loads(tags.get("metrics", "{}")),
        run_id=mv.run_id,
        onnx=_download_onnx(mv.run_id) if mv.run_id else None,
        mode=tags.get("mode"),
        kind=tags.get("kind", GBM),
    )
    if serving and record.onnx is None:
        raise ModelNotFound(f"version {mv.version} of {model_name} has no ONNX graph: retrain it")
    return record


def _download_onnx(run_id: str) -> bytes | None:
    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id,
                artifact_path=f"{ONNX_DIR}/{ONNX_FILE}",
                dst_path=tmp,
                tracking_uri=tracking_uri(),
            )
        except (MlflowException, OSError):
            return None
        return Path(local).read_bytes()


def alias_state(model_name: str, alias: str) -> tuple[str, str | None] | None:
    """(version, mode tag) behind ``alias``, or None."""
    from mlflow.exceptions import MlflowException

    try:
        mv = client().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        return None
    return str(mv.version), (mv.tags or {}).get("mode")


def fingerprint(source: str, artifacts_dir: Path, model_name: str) -> tuple:
    """Which version and mode each variant has now (cheap: no model is loaded), to see a change."""
    if source == "registry":
        return tuple(alias_state(model_name, v) for v in VARIANTS)
    return tuple(artifact_state(artifacts_dir, v) for v in VARIANTS)


def set_challenger_mode(model_name: str, mode: str) -> str:
    """Tag the registry's challenger to serve as ``mode``; return its version."""
    version = alias_version(model_name, CHALLENGER)
    if version is None:
        raise ModelNotFound(f"no challenger of {model_name} in the registry at {tracking_uri()}")
    client().set_model_version_tag(model_name, version, "mode", mode)
    return version


def load_variants(source: str, artifacts_dir: Path, model_name: str) -> dict[str, ModelRecord]:
    """Champion (required) and challenger (when there is one) from ``artifacts`` or ``registry``,
    for serving (ONNX graphs)."""
    models: dict[str, ModelRecord] = {}
    for variant in VARIANTS:
        try:
            if source == "registry":
                models[variant] = load_registered(model_name, variant, serving=True)
            elif source == "artifacts":
                models[variant] = load_artifact(artifacts_dir, variant, serving=True)
            else:
                raise ValueError(f"MODEL_SOURCE must be 'artifacts' or 'registry', not {source!r}")
        except ModelNotFound:
            if variant == CHAMPION:
                raise
    return models


def export(model_name: str, artifacts_dir: Path) -> dict[str, str]:
    """Copy the registry's champion and challenger into ``artifacts_dir`` (for the Docker image)."""
    exported = {}
    for variant in VARIANTS:
        try:
            record = load_registered(model_name, variant)
        except ModelNotFound:
            if variant == CHAMPION:
                raise
            remove_artifact(artifacts_dir, variant)
            continue
        save_artifact(record, artifacts_dir, variant)
        exported[variant] = record.version
        if variant == CHAMPION and record.run_id:
            _export_reference(record.run_id, artifacts_dir)
    return exported


def _export_reference(run_id: str, artifacts_dir: Path) -> None:
    """Copy the reference sample logged with the champion's run (if any) into ``artifacts_dir``."""
    import tempfile

    import mlflow.artifacts
    from mlflow.exceptions import MlflowException

    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = mlflow.artifacts.download_artifacts(
                run_id=run_id, artifact_path=REFERENCE, dst_path=tmp, tracking_uri=tracking_uri()
            )
        except (MlflowException, OSError):
            return  # a model logged elsewhere: `monitor` will say the reference is missing
        shutil.copyfile(local, artifacts_dir / REFERENCE)

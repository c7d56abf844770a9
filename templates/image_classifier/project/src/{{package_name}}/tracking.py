"""Experiment tracking with MLflow: a local SQLite store by default, any server via the environment.

Set ``MLFLOW_TRACKING_URI`` (e.g. ``http://mlflow.internal:5000``) to log to a remote server.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"


class Run:
    """Logs parameters, metrics and artifacts to an MLflow run, or nowhere when disabled."""

    def __init__(self, mlflow: Any | None) -> None:
        self._mlflow = mlflow

    @property
    def run_id(self) -> str | None:
        """The MLflow run id, or None when tracking is off."""
        return self._mlflow.active_run().info.run_id if self._mlflow else None

    def params(self, params: Mapping[str, Any]) -> None:
        if self._mlflow:
            self._mlflow.log_params({k: str(v)[:500] for k, v in params.items()})

    def metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        if self._mlflow:
            self._mlflow.log_metrics({k: float(v) for k, v in metrics.items()}, step=step)

    def artifact(self, path: Path) -> None:
        if self._mlflow and path.exists():
            if path.is_dir():
                self._mlflow.log_artifacts(str(path), artifact_path=path.name)
            else:
                self._mlflow.log_artifact(str(path))


@contextmanager
def tracked_run(
    experiment: str, run_name: str | None = None, enabled: bool = True
) -> Iterator[Run]:
    """Open an MLflow run in ``experiment`` (tracking URI from ``MLFLOW_TRACKING_URI``)."""
    if not enabled:
        yield Run(None)
        return
    import mlflow  # imported here: it is slow to import and only training needs it

    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI))
    mlflow.set_experiment(experiment)
    with mlflow.start_run(run_name=run_name):
        yield Run(mlflow)

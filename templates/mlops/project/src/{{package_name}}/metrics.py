"""Prometheus metrics of the API, in a registry of its own (one per app instance).

With several workers set ``PROMETHEUS_MULTIPROC_DIR`` (``serve --workers N`` does): every process
writes its samples there and ``/metrics`` merges them (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily

from .artifacts import MODES

ROUTES = {"/", "/predict", "/feedback", "/health", "/metadata", "/models", "/metrics"}

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


class DriftCollector:
    """Drift gauges read from the monitor's latest JSON report (re-read when the file changes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._report: dict | None = None
        self.champion: str | None = None  # a report about another model does not count

    def _load(self) -> dict | None:
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return None
        if mtime != self._mtime:
            try:
                self._report = json.loads(self.path.read_text("utf-8"))
                self._mtime = mtime
            except (OSError, ValueError):
                return self._report
        return self._report

    def collect(self):
        report = self._load()
        if not report:
            return
        about = report.get("model_version")
        if about is not None and self.champion is not None and str(about) != self.champion:
            return  # a new champion serves: the old drift verdict is reset
        psi = GaugeMetricFamily(
            "churn_feature_drift_psi", "Population stability index per feature", labels=["feature"]
        )
        pvalue = GaugeMetricFamily(
            "churn_feature_drift_p_value", "Drift test p-value per feature", labels=["feature"]
        )
        drifted = GaugeMetricFamily(
            "churn_feature_drifted", "1 when the feature drifted", labels=["feature"]
        )
        for feature in report.get("features", []):
            psi.add_metric([feature["feature"]], feature["psi"])
            pvalue.add_metric([feature["feature"]], feature["p_value"])
            drifted.add_metric([feature["feature"]], float(feature["drifted"]))
        yield psi
        yield pvalue
        yield drifted
        yield GaugeMetricFamily(
            "churn_drift_detected",
            "1 when the latest monitor run found drift",
            value=float(report.get("drift_detected", False)),
        )
        perf = report.get("performance")
        if perf:
            yield GaugeMetricFamily(
                "churn_live_roc_auc", "Champion's ROC-AUC on labelled production rows",
                value=float(perf["roc_auc"]),
            )  # fmt: skip
            yield GaugeMetricFamily(
                "churn_performance_alert", "1 when the live AUC fell below the test AUC margin",
                value=float(perf["alert"]),
            )  # fmt: skip
        yield GaugeMetricFamily(
            "churn_drift_report_timestamp_seconds",
            "When the latest drift report was written",
            value=float(report.get("generated_at", time.time())),
        )


class ApiMetrics:
    def __init__(self, drift_report: Path | None = None) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "churn_http_requests",
            "HTTP requests by route, method, status, variant and model version",
            ["route", "method", "status", "variant", "model_version"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "churn_http_request_duration_seconds",
            "Request latency by route, variant and model version",
            ["route", "variant", "model_version"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.scores = Histogram(
            "churn_prediction_score",
            "Predicted churn probability by variant and model version",
            ["variant", "model_version"],
            buckets=SCORE_BUCKETS,
            registry=self.registry,
        )
        self.predictions = Counter(
            "churn_predictions",
            "Predictions by variant, model version and yes/no answer",
            ["variant", "model_version", "churn"],
            registry=self.registry,
        )
        self.feedback = Counter(
            "churn_feedback", "Outcomes received by /feedback", ["churned"], registry=self.registry
        )
        self.model_info = Gauge(
            "churn_model_info",
            "1 for each loaded model, by variant and version",
            ["variant", "model_version"],
            registry=self.registry,
            multiprocess_mode="liveall",
        )
        self.challenger_share = Gauge(
            "churn_challenger_share",
            "Share of traffic the challenger answers now (a canary's step; 0 after a rollback)",
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.mode = Gauge(
            "churn_deployment_mode",
            "1 for the mode the challenger serves in (ab, shadow or canary), 0 for the others",
            ["mode"],
            registry=self.registry,
            multiprocess_mode="livemostrecent",
        )
        self.canary_rollbacks = Counter(
            "churn_canary_rollbacks",
            "Canaries rolled back automatically, by challenger version and guard",
            ["model_version", "guard"],
            registry=self.registry,
        )
        self.drift = DriftCollector(drift_report) if drift_report is not None else None
        if self.drift is not None and not multiprocess():
            self.registry.register(self.drift)

    def set_models(self, versions: dict[str, str], challenger_share: float) -> None:
        """Show which versions serve now (after start-up or a hot reload)."""
        if not multiprocess():  # multiprocess gauges cannot be cleared: "liveall" drops dead pids
            self.model_info.clear()
        for variant, version in versions.items():
            self.model_info.labels(variant, version).set(1)
        self.challenger_share.set(challenger_share)
        if self.drift is not None:
            self.drift.champion = versions.get("champion")

    def set_mode(self, mode: str) -> None:
        for each in MODES:
            self.mode.labels(each).set(float(each == mode))

    def observe(self, variant: str, version: str, score: float, churn: bool) -> None:
        self.scores.labels(variant, version).observe(score)
        self.predictions.labels(variant, version, "yes" if churn else "no").inc()


def multiprocess() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def render_metrics(metrics: ApiMetrics) -> tuple[bytes, str]:
    """This process's metrics, or every worker's merged in multiprocess mode."""
    if not multiprocess():
        return generate_latest(metrics.registry), CONTENT_TYPE_LATEST
    from prometheus_client import multiprocess as mp

    registry = CollectorRegistry()
    mp.MultiProcessCollector(registry)
    if metrics.drift is not None:
        registry.register(metrics.drift)
    return generate_latest(registry), CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Counts and times every request by route, variant and model version (pure ASGI: cheap)."""

    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics
        self._children: dict[tuple, tuple[Any, Any]] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in ROUTES else "other"
            state = scope.get("state") or {}
            key = (route, scope["method"], status, state.get("variant", "none"),
                   state.get("model_version", "none"))  # fmt: skip
            children = self._children.get(key)
            if children is None:  # label lookups cost more than the update: keep the children
                count = self.metrics.requests.labels(route, key[1], str(status), *key[3:])
                children = self._children[key] = (
                    count,
                    self.metrics.latency.labels(route, *key[3:]),
                )
            children[0].inc()
            children[1].observe(time.perf_counter() - start)

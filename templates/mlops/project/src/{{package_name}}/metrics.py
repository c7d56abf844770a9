"""Prometheus metrics of the API, in a registry of its own (one per app instance)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
SCORE_BUCKETS = tuple(round(0.1 * i, 1) for i in range(1, 11))


class DriftCollector:
    """Drift gauges read from the monitor's latest JSON report (re-read when the file changes)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._report: dict | None = None

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
        )
        self.challenger_share = Gauge(
            "churn_challenger_share",
            "Configured share of traffic for the challenger",
            registry=self.registry,
        )
        if drift_report is not None:
            self.registry.register(DriftCollector(drift_report))

"""Drift monitoring: each feature (and the score) in production against the training reference.

Numeric columns: two-sample Kolmogorov-Smirnov test. Categorical columns: chi-squared test of the
two count tables. Every column also gets its population stability index (PSI). A column drifts
when its p-value is below ``alpha / number of columns tested`` (Bonferroni, so that the chance of
any false alarm on undrifted data is at most ``alpha``) and its PSI is at least ``psi_threshold``
(so that huge samples do not flag negligible shifts).
"""

from __future__ import annotations

import html
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from .config import DriftSettings, Settings
from .schema import CATEGORICAL, NUMERIC

EPS = 1e-4


@dataclass
class FeatureDrift:
    feature: str
    kind: str  # numeric or categorical
    test: str  # ks or chi2
    statistic: float
    p_value: float
    psi: float
    drifted: bool


def psi(expected: np.ndarray, actual: np.ndarray) -> float:
    """Population stability index of two share vectors over the same bins."""
    e = np.clip(expected, EPS, None)
    a = np.clip(actual, EPS, None)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_drift(
    reference: np.ndarray, current: np.ndarray, bins: int
) -> tuple[float, float, float]:
    """KS statistic, its p-value, and PSI over the reference's quantile bins."""
    reference = reference[~np.isnan(reference)]
    current = current[~np.isnan(current)]
    if len(reference) == 0 or len(current) == 0:
        return 0.0, 1.0, 0.0
    result = stats.ks_2samp(reference, current)
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)[1:-1]))
    ref_share = np.bincount(np.searchsorted(edges, reference, "right"), minlength=len(edges) + 1)
    cur_share = np.bincount(np.searchsorted(edges, current, "right"), minlength=len(edges) + 1)
    value = psi(ref_share / ref_share.sum(), cur_share / cur_share.sum())
    return float(result.statistic), float(result.pvalue), value


def categorical_drift(reference: pd.Series, current: pd.Series) -> tuple[float, float, float]:
    """Chi-squared statistic of the 2 x k count table, its p-value, and PSI over the categories."""
    ref_counts = reference.astype(str).value_counts()
    cur_counts = current.astype(str).value_counts()
    categories = sorted(set(ref_counts.index) | set(cur_counts.index))
    table = np.array(
        [
            [ref_counts.get(c, 0) for c in categories],
            [cur_counts.get(c, 0) for c in categories],
        ],
        dtype=float,
    )
    value = psi(table[0] / table[0].sum(), table[1] / table[1].sum())
    if len(categories) < 2:
        return 0.0, 1.0, value
    chi2, p_value, _, _ = stats.chi2_contingency(table)
    return float(chi2), float(p_value), value


def detect_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    settings: DriftSettings,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
) -> list[FeatureDrift]:
    """Test every column present in both frames; see the module docstring for the rule."""
    numeric = [c for c in (numeric or NUMERIC) if c in reference and c in current]
    categorical = [c for c in (categorical or CATEGORICAL) if c in reference and c in current]
    tested = len(numeric) + len(categorical)
    if tested == 0:
        raise ValueError("no feature is present in both the reference and the current data")
    alpha = settings.alpha / tested
    results = []
    for column in numeric:
        stat, p_value, value = numeric_drift(
            pd.to_numeric(reference[column], errors="coerce").to_numpy(dtype=float),
            pd.to_numeric(current[column], errors="coerce").to_numpy(dtype=float),
            settings.bins,
        )
        drifted = p_value < alpha and value >= settings.psi_threshold
        results.append(FeatureDrift(column, "numeric", "ks", stat, p_value, value, drifted))
    for column in categorical:
        stat, p_value, value = categorical_drift(reference[column], current[column])
        drifted = p_value < alpha and value >= settings.psi_threshold
        results.append(FeatureDrift(column, "categorical", "chi2", stat, p_value, value, drifted))
    return results


def build_report(
    results: list[FeatureDrift], settings: DriftSettings, n_reference: int, n_current: int
) -> dict:
    drifted = [r.feature for r in results if r.drifted]
    return {
        "generated_at": time.time(),
        "drift_detected": bool(drifted),
        "drifted_features": drifted,
        "n_reference": n_reference,
        "n_current": n_current,
        "alpha": settings.alpha,
        "alpha_per_test": settings.alpha / max(len(results), 1),
        "psi_threshold": settings.psi_threshold,
        "features": [asdict(r) for r in results],
    }


def write_report(report: dict, out_dir: Path) -> tuple[Path, Path]:
    """``drift.json`` (what the API's gauges read) and ``drift.html`` (for people)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "drift.json"
    json_path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    rows = "\n".join(
        "<tr class='{cls}'><td>{f}</td><td>{k}</td><td>{t}</td><td>{s:.4f}</td><td>{p:.2e}</td>"
        "<td>{psi:.4f}</td><td>{d}</td></tr>".format(
            cls="drift" if r["drifted"] else "",
            f=html.escape(r["feature"]),
            k=r["kind"],
            t=r["test"],
            s=r["statistic"],
            p=r["p_value"],
            psi=r["psi"],
            d="yes" if r["drifted"] else "no",
        )
        for r in sorted(report["features"], key=lambda r: -r["psi"])
    )
    verdict = (
        f"Drift detected in: {html.escape(', '.join(report['drifted_features']))}"
        if report["drift_detected"]
        else "No drift detected"
    )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Drift report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}td:first-child{{text-align:left}}
tr.drift{{background:#fdd}}</style></head><body>
<h1>Drift report</h1>
<p><b>{verdict}</b></p>
<p>Reference rows: {report["n_reference"]}; production rows: {report["n_current"]}.
A column drifts when p &lt; {report["alpha_per_test"]:.2e} (alpha {report["alpha"]} over
{len(report["features"])} tests) and PSI &ge; {report["psi_threshold"]}.</p>
<table><tr><th>column</th><th>kind</th><th>test</th><th>statistic</th><th>p-value</th>
<th>PSI</th><th>drifted</th></tr>
{rows}
</table></body></html>
"""
    html_path = out_dir / "drift.html"
    html_path.write_text(page, "utf-8")
    return json_path, html_path


def performance(y: np.ndarray, p: np.ndarray, expected: float, settings: DriftSettings) -> dict:
    """Live ROC-AUC and calibration of the champion on labelled production rows, and the alert."""
    from sklearn.metrics import roc_auc_score

    from .model import expected_calibration_error

    auc = float(roc_auc_score(y, p))
    return {
        "n": int(len(y)),
        "roc_auc": auc,
        "expected_roc_auc": float(expected),
        "ece": expected_calibration_error(y, p),
        "churn_rate": float(np.mean(y)),
        "mean_score": float(np.mean(p)),
        "alert": bool(auc < expected - settings.max_auc_drop),
    }


def check_production(
    settings: Settings, frame: pd.DataFrame | None
) -> tuple[dict, tuple[Path, Path]]:
    """Drift of ``frame`` (default: the latest logged predictions) against the champion's
    reference, plus live performance where outcomes are known; writes the reports."""
    from . import predlog
    from .artifacts import CHAMPION, REFERENCE, load_artifact
    from .training import SCORE

    artifacts = Path(settings.serve.artifacts_dir)
    if not (artifacts / REFERENCE).is_file():
        raise FileNotFoundError(f"no {artifacts / REFERENCE}: run `train` first")
    reference = pd.read_csv(artifacts / REFERENCE)
    champion = load_artifact(artifacts, CHAMPION)
    if frame is not None:
        from .model import scores

        frame = frame.copy()
        frame[SCORE] = scores(champion.pipeline, frame)
    else:
        frame = predlog.read_predictions(settings.serve.prediction_db, limit=settings.drift.window)
        frame = frame[frame["model_version"] == champion.version].rename(columns={"score": SCORE})
    if len(frame) < settings.drift.min_rows:
        raise ValueError(
            f"only {len(frame)} production rows of champion {champion.version}, "
            f"fewer than drift.min_rows={settings.drift.min_rows}"
        )
    results = detect_drift(reference, frame, settings.drift, numeric=[*NUMERIC, SCORE])
    report = build_report(results, settings.drift, len(reference), len(frame))
    report["model_version"] = champion.version
    labelled = frame.dropna(subset=["churn"]) if "churn" in frame else frame.iloc[:0]
    y = labelled["churn"].astype(int).to_numpy() if len(labelled) else np.empty(0)
    if len(y) >= settings.drift.min_labelled and 0 < y.mean() < 1:
        expected = champion.metrics.get("roc_auc", float("nan"))
        report["performance"] = performance(y, labelled[SCORE].to_numpy(), expected, settings.drift)
    return report, write_report(report, Path(settings.reports_dir))

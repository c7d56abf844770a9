"""Command line of the loop: retrain, promote, monitor, the A/B decision, simulated traffic."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from .cli_common import CSV, fail, load_data, pass_settings
from .config import Settings


def _fresh_from_log(settings: Settings):
    from .promotion import fresh_from_log

    try:
        return fresh_from_log(settings.serve.prediction_db)
    except (FileNotFoundError, ValueError) as exc:
        raise fail(exc) from exc


def run_retrain(settings: Settings, data: Path | None, track: bool) -> None:
    from .cpu import configure_cpu

    configure_cpu(settings.train.threads)
    from .promotion import retrain

    fresh = load_data(settings, data, max_bad_share=0.01) if data else _fresh_from_log(settings)
    try:
        decision = retrain(settings, fresh, track=track)
    except ValueError as exc:
        raise fail(exc) from exc
    champion = (
        f"{decision.champion_score:.4f} (v{decision.champion_version})"
        if decision.champion_score is not None
        else "none"
    )
    outcome = {
        "champion": "PROMOTED to champion",
        "none": "REJECTED (registered, not serving)",
    }.get(decision.deployed, f"PASSED: serves as the {decision.deployed} challenger")
    click.echo(
        f"challenger v{decision.challenger_version} {decision.metric} "
        f"{decision.challenger_score:.4f} vs champion {champion} on {decision.n_holdout} rows: "
        f"{outcome} ({decision.reason})"
    )


@click.command()
@click.option("--data", type=CSV, default=None, help="Fresh labelled CSV (default: feedback log).")
@click.option("--track/--no-track", default=True)
@pass_settings
def retrain(settings: Settings, data: Path | None, track: bool) -> None:
    """Train a challenger on history + fresh data; if it passes the gate it serves as a shadow
    (or A/B arm), never straight to 100%."""
    run_retrain(settings, data, track)


@click.command()
@click.argument("version", required=False)
@click.option("--to", "target", type=click.Choice(["champion", "ab", "canary"]),
              default="champion", show_default=True,
              help="champion: VERSION serves everyone; ab / canary: the challenger leaves the "
              "shadow for live traffic once its shadow checks pass.")  # fmt: skip
@click.option("--force", is_flag=True, help="Leave the shadow without its checks.")
@click.option("--track/--no-track", default=True, help="Act on the registry (else artifacts/).")
@pass_settings
def promote(settings: Settings, version: str | None, target: str, force: bool, track: bool) -> None:
    """Make registry VERSION the champion (a rollback: the `previous` alias), or move the
    challenger from the shadow to an A/B test or a canary (`--to ab`)."""
    from .artifacts import ModelNotFound

    try:
        if target == "champion":
            if version is None:
                raise ValueError("name the VERSION to make the champion")
            from .promotion import promote as run_promote

            decision = run_promote(settings, version)
            click.echo(
                f"version {version} is the champion (was {decision.champion_version}); "
                "the API picks it up within serve.reload_seconds"
            )
            return
        from .rollout import change_mode

        decision = change_mode(settings, target, track=track, force=force)
    except (ModelNotFound, ValueError, FileNotFoundError) as exc:
        raise fail(exc) from exc
    click.echo(
        f"challenger v{decision.challenger_version} serves as {target} ({decision.reason}); "
        "the API picks it up within serve.reload_seconds"
    )


@click.command()
@click.option("--current", type=CSV, default=None, help="Production CSV (default: the log).")
@click.option("--retrain/--no-retrain", "do_retrain", default=None,
              help="Retrain on drift (default: drift.retrain_on_drift).")  # fmt: skip
@click.option(
    "--retrain-data",
    type=CSV,
    default=None,
    help="Labelled CSV for the retrain (default: --current if labelled, else feedback).",
)
@click.option("--track/--no-track", default=True)
@pass_settings
def monitor(
    settings: Settings,
    current: Path | None,
    do_retrain: bool | None,
    retrain_data: Path | None,
    track: bool,
) -> None:
    """Data drift (inputs and scores) and, with labels, live AUC and calibration of the champion."""
    from .data import header_of
    from .monitor import check_production

    labelled = current is not None and bool({"churn", "Churn"} & set(header_of(current)))
    frame = load_data(settings, current, labelled=labelled, max_bad_share=1.0) if current else None
    try:
        report, paths = check_production(settings, frame)
    except (FileNotFoundError, ValueError, LookupError) as exc:
        raise fail(exc) from exc
    verdict = (
        f"DRIFT in {', '.join(report['drifted_features'])}"
        if report["drift_detected"]
        else "no drift"
    )
    perf = report.get("performance")
    if perf:
        verdict += (
            f"; live AUC {perf['roc_auc']:.4f} on {perf['n']} labelled rows "
            f"(test {perf['expected_roc_auc']:.4f}){' PERFORMANCE ALERT' if perf['alert'] else ''}"
        )
    click.echo(f"{verdict}; reports: {', '.join(map(str, paths))}")
    should = settings.drift.retrain_on_drift if do_retrain is None else do_retrain
    if (report["drift_detected"] or (perf and perf["alert"])) and should:
        click.echo("retraining")
        run_retrain(settings, retrain_data or (current if labelled else None), track)


@click.command("ab-report")
@click.option("--apply", is_flag=True, help="Act on the decision: promote or stop the challenger.")
@pass_settings
def ab_report(settings: Settings, apply: bool) -> None:
    """Champion vs challenger version on their outcomes: power, test, promote / keep / stop."""
    from . import predlog
    from .abtest import ab_report as build
    from .promotion import json_safe

    try:
        frame = predlog.read_predictions(settings.serve.prediction_db, served_only=False)
    except FileNotFoundError as exc:
        raise fail(exc) from exc
    report = build(frame, settings.ab, settings.routing.challenger_share)
    out = Path(settings.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = json.dumps(json_safe(report), indent=2, allow_nan=False)
    (out / "ab_report.json").write_text(text + "\n", "utf-8")
    click.echo(describe_period(report))
    for arm in report["arms"]:
        click.echo(
            f"{arm['variant']} v{arm['model_version']}: {arm['predictions']} answers to "
            f"{arm['customers']} customers, {arm['outcomes']} mature outcomes "
            f"({arm['pending']} pending), log loss {arm['log_loss']:.4f}, "
            f"accuracy {arm['accuracy']:.3f}"
        )
    paired = report["paired"]
    if paired["pairs"]:
        click.echo(
            f"paired shadow: {paired['pairs']} customers scored by both, log loss difference "
            f"{paired['difference']:+.4f} (always-valid p={paired['p_value']:.2g})"
        )
    click.echo(f"{report['decision'].upper()}: {report['reason']}")
    if apply:
        from .rollout import apply_decision

        try:
            click.echo(apply_decision(settings, report))
        except (LookupError, ValueError) as exc:
            raise fail(exc) from exc


def describe_period(report: dict) -> str:
    """One line: the A/B period, label maturity, and the sample-ratio check."""
    import time

    def day(ts: float | None) -> str:
        return "-" if ts is None else time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))

    period, srm = report["period"], report["sample_ratio"]
    ratio = (
        "sample ratio not tested"
        if srm["p_value"] is None
        else f"challenger share {srm['observed_share']:.3f} of customers vs "
        f"{srm['expected_share']:.3f} configured (p={srm['p_value']:.2g})"
    )
    return (
        f"A/B period {day(period['start'])} to {day(period['end'])} UTC (both arms from the "
        f"challenger's first answer); outcomes of predictions before {day(period['mature_before'])}"
        f" ({report['label_maturity_days']:g}-day maturity); {ratio}"
    )


@click.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--rows", default=1000, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--drift", default=0.0, show_default=True)
@click.option("--feedback/--no-feedback", default=True,
              help="Send each customer's true outcome (needs $CHURN_API_KEY).")  # fmt: skip
@click.option("--label-delay", default=0.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds until an outcome is known (a churner's: sooner).")  # fmt: skip
def simulate(
    url: str, rows: int, seed: int, drift: float, feedback: bool, label_delay: float
) -> None:
    """Send generated customers to a running API (and their outcomes to /feedback)."""
    import urllib.error

    from .simulate import simulate as run

    key = os.environ.get("CHURN_API_KEY") if feedback else None
    if feedback and not key:
        raise click.ClickException("set CHURN_API_KEY to send feedback, or pass --no-feedback")
    try:
        run(url, rows, seed, drift, key, label_delay)
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"cannot reach the API at {url}: {exc}") from exc
    click.echo(f"sent {rows} predictions{' with feedback' if feedback else ''} to {url}")


COMMANDS = [retrain, promote, monitor, ab_report, simulate]

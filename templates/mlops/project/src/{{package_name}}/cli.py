"""Command line: data, training, the registry, serving, monitoring and A/B analysis."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from . import __version__
from .config import Settings, load_settings

pass_settings = click.make_pass_decorator(Settings)


def _fail(exc: Exception) -> click.ClickException:
    return click.ClickException(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Settings file (default: $CHURN_CONFIG or ./config.yaml).",
)
@click.version_option(__version__)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Churn prediction, from data to a monitored A/B-tested service."""
    try:
        ctx.obj = load_settings(config_path)
    except (OSError, ValueError) as exc:
        raise _fail(exc) from exc


def _load_data(settings: Settings, path: Path | None, labelled: bool = True):
    from .data import DataError, load_csv

    try:
        return load_csv(path or Path(settings.data.path), labelled=labelled)
    except DataError as exc:
        raise _fail(exc) from exc


@main.command()
@click.option("--pin", is_flag=True, help="No checksum pinned yet: record this download's SHA-256.")
@pass_settings
def download(settings: Settings, pin: bool) -> None:
    """Download the public IBM Telco churn CSV to data.path, verifying its SHA-256."""
    from .download import DownloadError, fetch, sha256sum

    dest = Path(settings.data.path)
    expected = settings.data.sha256.strip()
    try:
        if expected:
            fetch(settings.data.url, dest, expected)
        elif not pin:
            raise click.ClickException(
                "no SHA-256 is pinned for data.url in config.yaml: run `download --pin` to record "
                "the digest of this first download (trust on first use), or set data.sha256"
            )
        else:
            _download_unverified(settings.data.url, dest)
            digest = sha256sum(dest)
            click.echo(f"SHA-256 of {dest}: {digest}")
            if _pin_checksum(Path("config.yaml"), digest):
                click.echo("recorded as data.sha256 in config.yaml: later downloads are verified")
            else:
                click.echo("add it to your config as data.sha256 to verify later downloads")
    except DownloadError as exc:
        raise _fail(exc) from exc
    frame = _load_data(settings, dest)
    click.echo(f"{dest}: {len(frame)} valid customers, churn rate {frame['churn'].mean():.3f}")


def _download_unverified(url: str, dest: Path) -> None:
    import urllib.error
    import urllib.request

    from .download import DownloadError

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url} ({exc})") from exc
    part.replace(dest)


def _pin_checksum(config: Path, digest: str) -> bool:
    if not config.is_file():
        return False
    text = config.read_text("utf-8")
    new, count = re.subn(r'(?m)^(\s+sha256:)\s*"?[0-9a-fA-F]*"?\s*$', rf'\1 "{digest}"', text)
    if count != 1:
        return False
    config.write_text(new, "utf-8")
    return True


@main.command()
@click.option("--rows", default=10_000, show_default=True, help="Number of customers.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--drift", default=0.0, show_default=True, help="0 = reference population; 1 = drifted."
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_settings
def generate(settings: Settings, rows: int, seed: int, drift: float, out: Path | None) -> None:
    """Write a synthetic churn CSV (default: data.path)."""
    from .data import generate as make

    out = out or Path(settings.data.path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = make(rows, seed=seed, drift=drift)
    frame.to_csv(out, index=False)
    click.echo(f"{out}: {len(frame)} customers, churn rate {frame['churn'].mean():.3f}")


@main.command()
@click.argument("csv", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--unlabelled", is_flag=True, help="The file has no churn column.")
def validate(csv: Path, unlabelled: bool) -> None:
    """Check a CSV against the declared schema and list every bad row."""
    from .data import DataError, check_csv

    try:
        frame, errors = check_csv(csv, labelled=not unlabelled)
    except DataError as exc:
        raise _fail(exc) from exc
    for error in errors:
        click.echo(str(error))
    bad = len({e.row for e in errors})
    click.echo(f"{csv}: {len(frame)} valid rows, {bad} bad rows")
    if bad:
        raise SystemExit(1)


@main.command()
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), default=None)
@click.option("--track/--no-track", default=True, help="Log to MLflow and register the model.")
@pass_settings
def train(settings: Settings, data: Path | None, track: bool) -> None:
    """Train gradient boosting and the logistic baseline, log to MLflow, register, export."""
    from .pipeline import train as run_train

    frame = _load_data(settings, data)
    try:
        result = run_train(settings, frame, track=track)
    except ValueError as exc:
        raise _fail(exc) from exc
    model, base = result.model.metrics, result.baseline_metrics
    click.echo(
        f"model version {result.model.version} ({result.alias}): ROC-AUC {model['roc_auc']:.4f}, "
        f"PR-AUC {model['pr_auc']:.4f}, F1 {model['f1']:.4f} at {model['threshold']:.3f}; "
        f"baseline ROC-AUC {base['roc_auc']:.4f}, PR-AUC {base['pr_auc']:.4f}"
    )


@main.command()
@click.option("--data", type=click.Path(dir_okay=False, path_type=Path), default=None)
@pass_settings
def evaluate(settings: Settings, data: Path | None) -> None:
    """Score the served champion on the test split: reports/metrics.json and plots."""
    from .pipeline import evaluate as run_evaluate
    from .registry import ModelNotFound

    frame = _load_data(settings, data)
    try:
        result = run_evaluate(settings, frame)
    except ModelNotFound as exc:
        raise _fail(exc) from exc
    click.echo(json.dumps(result, indent=2))


@main.command()
@pass_settings
def export(settings: Settings) -> None:
    """Copy the registry's champion and challenger into artifacts/ (what Docker serves)."""
    from .registry import ModelNotFound
    from .registry import export as run_export

    try:
        exported = run_export(settings.train.model_name, Path(settings.serve.artifacts_dir))
    except ModelNotFound as exc:
        raise _fail(exc) from exc
    click.echo(", ".join(f"{k}: version {v}" for k, v in exported.items()))


def _fresh_from_log(settings: Settings):
    from .pipeline import fresh_from_log

    try:
        return fresh_from_log(Path(settings.serve.prediction_db))
    except FileNotFoundError as exc:
        raise _fail(exc) from exc


def _retrain(settings: Settings, data: Path | None, track: bool) -> None:
    from .pipeline import retrain as run_retrain

    fresh = _load_data(settings, data) if data else _fresh_from_log(settings)
    try:
        decision = run_retrain(settings, fresh, track=track)
    except ValueError as exc:
        raise _fail(exc) from exc
    champion = (
        f"{decision.champion_score:.4f} (v{decision.champion_version})"
        if decision.champion_score is not None
        else "none"
    )
    click.echo(
        f"challenger v{decision.challenger_version} {decision.metric} "
        f"{decision.challenger_score:.4f} vs champion {champion}: "
        f"{'PROMOTED' if decision.promoted else 'kept as challenger'} ({decision.reason})"
    )


@main.command()
@click.argument("version")
@pass_settings
def promote(settings: Settings, version: str) -> None:
    """Make registry VERSION the champion by hand (a rollback: the `previous` alias)."""
    from .pipeline import promote as run_promote
    from .registry import ModelNotFound

    try:
        decision = run_promote(settings, version)
    except (ModelNotFound, ValueError) as exc:
        raise _fail(exc) from exc
    click.echo(
        f"version {version} is the champion (was {decision.champion_version}); "
        "restart the API to serve it"
    )


@main.command()
@click.option(
    "--data",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Fresh labelled CSV (default: logged predictions that have feedback).",
)
@click.option("--track/--no-track", default=True)
@pass_settings
def retrain(settings: Settings, data: Path | None, track: bool) -> None:
    """Train a challenger on fresh data; promote it if it beats the champion by the margin."""
    _retrain(settings, data, track)


@main.command()
@click.option(
    "--current",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Production CSV to check (default: the latest logged predictions).",
)
@click.option(
    "--retrain/--no-retrain",
    "do_retrain",
    default=None,
    help="Retrain on drift (default: drift.retrain_on_drift).",
)
@click.option(
    "--retrain-data",
    type=click.Path(dir_okay=False, path_type=Path),
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
    """Test production inputs and scores for drift against the training reference."""
    import pandas as pd

    from . import predlog
    from .monitor import build_report, detect_drift, write_report
    from .pipeline import SCORE
    from .registry import CHAMPION, REFERENCE, ModelNotFound, load_artifact
    from .schema import NUMERIC

    artifacts = Path(settings.serve.artifacts_dir)
    if not (artifacts / REFERENCE).is_file():
        raise click.ClickException(f"no {artifacts / REFERENCE}: run `train` first")
    reference = pd.read_csv(artifacts / REFERENCE)
    labelled_current = False
    if current is not None:
        frame = _load_data(settings, current, labelled=False)
        try:
            champion = load_artifact(artifacts, CHAMPION)
        except ModelNotFound as exc:
            raise _fail(exc) from exc
        from .model import scores

        frame[SCORE] = scores(champion.pipeline, frame)
        header = pd.read_csv(current, nrows=0).columns
        labelled_current = "churn" in header or "Churn" in header
    else:
        try:
            frame = predlog.read_predictions(
                Path(settings.serve.prediction_db), limit=settings.drift.window
            )
        except FileNotFoundError as exc:
            raise _fail(exc) from exc
        frame = frame.rename(columns={"score": SCORE})
    if len(frame) < settings.drift.min_rows:
        raise click.ClickException(
            f"only {len(frame)} production rows, "
            f"fewer than drift.min_rows={settings.drift.min_rows}"
        )
    results = detect_drift(reference, frame, settings.drift, numeric=[*NUMERIC, SCORE])
    report = build_report(results, settings.drift, len(reference), len(frame))
    json_path, html_path = write_report(report, Path(settings.reports_dir))
    verdict = (
        f"DRIFT in {', '.join(report['drifted_features'])}"
        if report["drift_detected"]
        else "no drift"
    )
    click.echo(f"{verdict}; reports: {json_path}, {html_path}")
    should_retrain = settings.drift.retrain_on_drift if do_retrain is None else do_retrain
    if report["drift_detected"] and should_retrain:
        click.echo("drift found: retraining")
        _retrain(settings, retrain_data or (current if labelled_current else None), track)


@main.command("ab-report")
@click.option("--alpha", default=0.05, show_default=True)
@pass_settings
def ab_report(settings: Settings, alpha: float) -> None:
    """Per-variant outcome metrics with 95% intervals, and whether the difference is significant."""
    from . import predlog
    from .abtest import ab_report as build

    try:
        frame = predlog.read_predictions(Path(settings.serve.prediction_db))
    except FileNotFoundError as exc:
        raise _fail(exc) from exc
    report = build(frame, alpha)
    out = Path(settings.reports_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ab_report.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    for variant, row in report["variants"].items():
        lo, hi = row["accuracy_ci"]
        click.echo(
            f"{variant}: {row['with_feedback']} outcomes of {row['predictions']} predictions, "
            f"accuracy {row['accuracy']:.3f} [{lo:.3f}, {hi:.3f}], churn rate "
            f"{row['churn_rate']:.3f}, Brier {row['brier']:.4f}"
        )
    click.echo(report["verdict"])


@main.command()
@pass_settings
def report(settings: Settings) -> None:
    """Write the results in reports/ into README.md between the results markers."""
    from .readme import write_results
    from .reporting import results_markdown

    try:
        write_results(Path("README.md"), results_markdown(Path(settings.reports_dir)))
    except (OSError, ValueError) as exc:
        raise _fail(exc) from exc
    click.echo("README.md results updated")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--log-level", default="info", show_default=True)
def serve(host: str, port: int, log_level: str) -> None:
    """Run the API with uvicorn (one worker)."""
    import uvicorn

    uvicorn.run(f"{__package__}.api:app", host=host, port=port, log_level=log_level)


@main.command()
@click.option("--url", default="http://127.0.0.1:8000", show_default=True)
@click.option("--rows", default=1000, show_default=True)
@click.option("--seed", default=1, show_default=True)
@click.option("--drift", default=0.0, show_default=True)
@click.option("--feedback/--no-feedback", default=True, help="Send each customer's true outcome.")
def simulate(url: str, rows: int, seed: int, drift: float, feedback: bool) -> None:
    """Send generated customers to a running API (and their outcomes to /feedback)."""
    import urllib.error
    import urllib.request

    from tqdm import tqdm

    from .data import generate as make

    frame = make(rows, seed=seed, drift=drift, id_prefix="S")
    records = frame.drop(columns=["churn"]).to_dict(orient="records")

    def post(path: str, body: dict) -> dict:
        request = urllib.request.Request(
            url.rstrip("/") + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    try:
        for record, churned in tqdm(zip(records, frame["churn"], strict=True), total=rows):
            record = {k: (None if v != v else v) for k, v in record.items()}  # NaN -> null
            answer = post("/predict", record)
            if feedback:
                post(
                    "/feedback",
                    {"prediction_id": answer["prediction_id"], "churned": bool(churned)},
                )
    except (urllib.error.URLError, OSError) as exc:
        raise click.ClickException(f"cannot reach the API at {url}: {exc}") from exc
    click.echo(f"sent {rows} predictions{' with feedback' if feedback else ''} to {url}")

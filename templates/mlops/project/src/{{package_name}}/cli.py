"""Command line: data, training and serving (the loop's verbs are in :mod:`.cli_loop`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__, cli_loop
from .cli_common import CSV, fail, load_data, pass_settings
from .config import Settings, load_settings

if TYPE_CHECKING:
    import pandas as pd

    from .artifacts import ModelRecord


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", "config_path", type=CSV, default=None,
    help="Settings file (default: $CHURN_CONFIG or ./config.yaml).",
)  # fmt: skip
@click.version_option(__version__)
@click.pass_context
def main(ctx: click.Context, config_path: Path | None) -> None:
    """Churn prediction, from data to a monitored A/B-tested service."""
    try:
        ctx.obj = load_settings(config_path)
    except (OSError, ValueError) as exc:
        raise fail(exc) from exc


@main.command()
@click.option("--pin", is_flag=True, help="No checksum pinned yet: record this download's SHA-256.")
@pass_settings
def download(settings: Settings, pin: bool) -> None:
    """Download the public IBM Telco churn CSV to data.path, verifying its SHA-256."""
    from .acquire import download_unverified, pin_checksum
    from .download import DownloadError, fetch, sha256sum

    dest, expected = Path(settings.data.path), settings.data.sha256.strip()
    try:
        if expected:
            fetch(settings.data.url, dest, expected)
        elif not pin:
            raise click.ClickException(
                "no SHA-256 is pinned for data.url in config.yaml: run `download --pin` to record "
                "the digest of this first download (trust on first use), or set data.sha256"
            )
        else:
            download_unverified(settings.data.url, dest)
            digest = sha256sum(dest)
            click.echo(f"SHA-256 of {dest}: {digest}")
            if pin_checksum(Path("config.yaml"), digest):
                click.echo("recorded as data.sha256 in config.yaml: later downloads are verified")
            else:
                click.echo("add it to your config as data.sha256 to verify later downloads")
    except DownloadError as exc:
        raise fail(exc) from exc
    frame = load_data(settings, dest, max_bad_share=1.0)
    click.echo(f"{dest}: {len(frame)} valid customers, churn rate {frame['churn'].mean():.3f}")


@main.command()
@click.option("--rows", default=10_000, show_default=True, help="Number of customers.")
@click.option("--seed", default=0, show_default=True)
@click.option("--drift", default=0.0, show_default=True, help="0: reference; 1: drifted.")
@click.option("--out", type=CSV, default=None)
@click.option(
    "--mechanism", type=click.Choice(["nonlinear", "linear"]), default="nonlinear",
    show_default=True,
    help="linear: churn log-odds linear in the columns (the logistic baseline is the right "
    "model); nonlinear: effects a linear model cannot fit.",
)  # fmt: skip
@pass_settings
def generate(
    settings: Settings, rows: int, seed: int, drift: float, out: Path | None, mechanism: str
) -> None:
    """Write a synthetic churn CSV (default: data.path)."""
    from .data import generate as make

    out = out or Path(settings.data.path)
    out.parent.mkdir(parents=True, exist_ok=True)
    frame = make(rows, seed=seed, drift=drift, mechanism=mechanism)
    frame.to_csv(out, index=False)
    click.echo(f"{out}: {len(frame)} customers, churn rate {frame['churn'].mean():.3f}")


@main.command()
@click.argument("csv", type=CSV)
@click.option("--unlabelled", is_flag=True, help="The file has no churn column.")
def validate(csv: Path, unlabelled: bool) -> None:
    """Account for every record of a CSV: rows read, rows rejected by reason and line."""
    from .data import DataError, check_csv, ignored_columns, kept_notes

    try:
        frame, ledger = check_csv(csv, labelled=not unlabelled)
    except DataError as exc:
        raise fail(exc) from exc
    click.echo(ledger.summary())
    for note in kept_notes(frame, ignored_columns(csv)):
        click.echo(note)
    if ledger.bad or frame.empty:
        raise SystemExit(1)


@main.command()
@click.option("--data", type=CSV, default=None, help="Labelled CSV (default: data.path).")
@click.option("--track/--no-track", default=True, help="Log to MLflow and register the model.")
@click.option(
    "--max-bad-share", default=0.01, show_default=True,
    help="Stop when more than this share of the records is rejected.",
)  # fmt: skip
@click.option(
    "--serve", "serve", type=click.Choice(["auto", "model", "baseline"]), default="auto",
    show_default=True,
    help="auto: gradient boosting serves only if its AUC gain over the logistic baseline has a "
    "paired 95% interval above 0, else the baseline; model / baseline: that one regardless.",
)  # fmt: skip
@click.option("--note", default="", help="One line on what this run tries (EXPERIMENTS.md).")
@pass_settings
def train(
    settings: Settings, data: Path | None, track: bool, max_bad_share: float, serve: str, note: str
) -> None:
    """Train gradient boosting and the logistic baseline, log to MLflow; the one that earned it
    (gradient boosting only when it beats the baseline) is registered and exported. The run and
    its note go into the experiment log (`report` writes EXPERIMENTS.md)."""
    from .cpu import announce, configure_cpu

    configure_cpu(settings.train.threads)
    from .data import DataError, check_csv, ignored_columns, kept_notes

    path = data or Path(settings.data.path)
    try:
        frame, ledger = check_csv(path)
        ledger.enforce(max_bad_share, f"run `validate {path}` to list them")
    except DataError as exc:
        raise fail(exc) from exc
    if ledger.bad:
        click.echo(f"{ledger.bad} of {ledger.records} records rejected (`validate {path}`)")
    for kept in kept_notes(frame, ignored_columns(path)):
        click.echo(kept)
    announce(3.0 + len(frame) / 1500, "train")
    from .training import train as run_train

    facts = {"data": str(path), "rejected": ledger.bad}
    try:
        result = run_train(settings, frame, track=track, data_facts=facts, serve=serve)
    except ValueError as exc:
        raise fail(exc) from exc
    model, base = result.model_metrics, result.baseline_metrics
    served = result.model
    log_experiment(settings, frame, path, served, serve, note)
    click.echo(
        f"gradient boosting ROC-AUC {model['roc_auc']:.4f}, PR-AUC {model['pr_auc']:.4f}, "
        f"F1 {model['f1']:.4f} at {model['threshold']:.3f}; logistic baseline ROC-AUC "
        f"{base['roc_auc']:.4f}, PR-AUC {base['pr_auc']:.4f}, F1 {base['f1']:.4f} at "
        f"{base['threshold']:.3f}"
    )
    click.echo(f"{result.comparison['reason']}")
    click.echo(
        f"serves: {served.kind}, version {served.version} ({result.alias}), sha256 {served.digest}"
    )


def log_experiment(
    settings: Settings, frame: pd.DataFrame, path: Path, served: ModelRecord, serve: str, note: str
) -> None:
    """Append this `train` run to reports/runs.jsonl: its settings, data and the served model's
    validation log loss per customer."""
    from .experiments import log_run
    from .training import run_facts, validation_losses

    ts = settings.train
    params = {"data": str(path), "max_iter": ts.max_iter, "learning_rate": ts.learning_rate,
              "seed": ts.seed, "threshold": ts.threshold, "serve": serve}  # fmt: skip
    log_run(
        Path(settings.reports_dir), note=note, params=params,
        data=run_facts(frame, "train")["fingerprint"], model=served.kind,
        model_version=served.version, metric="validation log loss (mean per customer)",
        scores=validation_losses(settings, frame, served.pipeline), lower_is_better=True,
    )  # fmt: skip


@main.command()
@click.option("--data", type=CSV, default=None)
@pass_settings
def evaluate(settings: Settings, data: Path | None) -> None:
    """Score the served champion on the test split: reports/metrics.json and plots."""
    from .cpu import configure_cpu

    configure_cpu(settings.train.threads)
    from .artifacts import ModelNotFound
    from .evaluation import evaluate as run_evaluate

    frame = load_data(settings, data, max_bad_share=1.0)
    try:
        result = run_evaluate(settings, frame)
    except ModelNotFound as exc:
        raise fail(exc) from exc
    click.echo(json.dumps(result, indent=2))


@main.command()
@pass_settings
def export(settings: Settings) -> None:
    """Copy the registry's champion and challenger into artifacts/ (what Docker serves)."""
    from .artifacts import ModelNotFound
    from .registry import export as run_export

    try:
        exported = run_export(settings.train.model_name, Path(settings.serve.artifacts_dir))
    except ModelNotFound as exc:
        raise fail(exc) from exc
    click.echo(", ".join(f"{k}: version {v}" for k, v in exported.items()))


@main.command()
@pass_settings
def report(settings: Settings) -> None:
    """Write the results in reports/ into README.md and MODEL_CARD.md, and EXPERIMENTS.md from
    the log of every `train` run."""
    from .experiments import write_experiments
    from .readme import write_results
    from .reporting import results_markdown, write_card

    reports = Path(settings.reports_dir)
    try:
        write_results(Path("README.md"), results_markdown(reports))
        card = write_card(settings, Path("MODEL_CARD.md"))
        runs = write_experiments(reports, Path("EXPERIMENTS.md"))
    except (OSError, ValueError, KeyError) as exc:
        raise fail(exc) from exc
    click.echo(f"README.md results and {card} updated; {runs} runs in EXPERIMENTS.md")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--workers", default=1, show_default=True, help="Processes (metrics are merged).")
@click.option("--log-level", default="warning", show_default=True)
def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Run the API with uvicorn."""
    from .server import run

    run(f"{__package__}.api:app", host, port, workers, log_level)


for command in cli_loop.COMMANDS:
    main.add_command(command)

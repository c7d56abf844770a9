"""Command line: download, validate, train, evaluate, report, serve (in that order)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import click

from . import DEFAULT_DATASET, __version__
from .models import ALL_MODELS, MODEL_NAMES
from .options import MAX_BAD_SHARE, data_options, load_data

PATHS = {"path_type": Path}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
def main() -> None:
    """Recommender: MovieLens, goodbooks-10k or your own interactions, tuned, compared, served."""


@main.command()
@click.option(
    "--dataset",
    type=click.Choice(["ml-latest-small", "ml-100k", "ml-1m", "goodbooks-10k"]),
    default=None,
)
@click.option("--data-dir", type=click.Path(**PATHS), default=Path("data"), show_default=True)
@click.option("--sha256", default=None, help="Accept an archive with this checksum instead")
def download(dataset: str | None, data_dir: Path, sha256: str | None) -> None:
    """Download and verify a public dataset archive, then extract it into DATA_DIR."""
    from .datasets import download as fetch
    from .download import DownloadError
    from .ledger import DataError

    name = dataset or (DEFAULT_DATASET if DEFAULT_DATASET != "csv" else "ml-latest-small")
    try:
        folder = fetch(name, data_dir, sha256)
    except (DownloadError, DataError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name} ready in {folder}")


@main.command("sample-data")
@click.option(
    "--out",
    type=click.Path(file_okay=False, **PATHS),
    default=Path("data/sample"),
    show_default=True,
)
@click.option("--users", type=click.IntRange(8), default=200, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
def sample_data(out: Path, users: int, seed: int) -> None:
    """Write a small synthetic interactions + items CSV with real structure (for trying things)."""
    from .synthetic import write_sample

    interactions, items = write_sample(out, users=users, seed=seed)
    click.echo(
        f"wrote {interactions} and {items}; train with --interactions {interactions} --items {items}"
    )


@main.command()
@data_options
def validate(**options: object) -> None:
    """Account for every record of the data: read, rejected (by reason, with line numbers)."""
    from .owndata import data_notes

    dataset, ledger = load_data(options)
    if ledger is not None:
        click.echo(ledger.summary())
        for line in data_notes(dataset.report):
            click.echo(line)
    else:
        report = dataset.report
        click.echo(
            f"{dataset.name}: {report['records']} records, {report['read']} read, 0 rejected"
        )
    pairs = len(dataset.interactions[["user", "item"]].drop_duplicates())
    click.echo(
        f"{len(dataset.interactions)} interactions ({pairs} distinct user-item pairs; "
        "repeats are merged after the split)"
    )
    items_bad = dataset.report.get("items_file", {}).get("rejected", 0)
    if ledger is not None and (ledger.bad or items_bad):
        raise SystemExit(1)


@main.command()
@data_options
@click.option(
    "--max-bad-share", type=click.FloatRange(0, 1), default=MAX_BAD_SHARE, show_default=True
)
@click.option(
    "--threshold",
    type=float,
    default=3.5,
    show_default=True,
    help="Ratings at or above it are positives",
)
@click.option(
    "--all-interactions", is_flag=True, help="Every interaction is positive (no threshold)"
)
@click.option("--min-user-interactions", type=click.IntRange(1), default=1, show_default=True)
@click.option("--min-item-interactions", type=click.IntRange(1), default=1, show_default=True)
@click.option(
    "--recency-half-life",
    type=click.FloatRange(0),
    default=25.0,
    show_default=True,
    help="A user's n-th latest positive weighs 0.5**(n/half-life); 0 weighs all the same",
)
@click.option(
    "--split",
    "split_how",
    type=click.Choice(["user-temporal", "leave-last-n", "temporal"]),
    default="user-temporal",
    show_default=True,
    help="user-temporal: each user's latest --test-fraction; temporal: one global cut-off time",
)
@click.option("--test-fraction", type=click.FloatRange(0.01, 0.99), default=0.2, show_default=True)
@click.option(
    "--last-n", type=click.IntRange(1), default=1, show_default=True, help="leave-last-n: per user"
)
@click.option(
    "--cutoffs",
    type=click.IntRange(0),
    default=20,
    show_default=True,
    help="Strict protocol: global cut-offs over the last --rolling-share of the log (0: none)",
)
@click.option("--rolling-share", type=click.FloatRange(0.01, 0.99), default=0.5, show_default=True)
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--models", default=",".join(MODEL_NAMES), show_default=True, help="Comma-separated")
@click.option(
    "--tune",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Optuna trials per tunable model, on validation (same budget for every model)",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--spark-master", default=None, help="Spark cluster for als-spark (default local[*])")
@click.option("--artifacts", type=click.Path(**PATHS), default=Path("artifacts"), show_default=True)
@click.option("--reports", type=click.Path(**PATHS), default=Path("reports"), show_default=True)
@click.option("--track/--no-track", default=True, show_default=True, help="Log the run to MLflow")
def train(**options: object) -> None:
    """Split, tune and choose on validation, score the test split once, serve a refit on all data."""
    from .cpu import announce, configure_cpu

    threads = configure_cpu()
    started = time.perf_counter()
    models = tuple(m.strip() for m in str(options["models"]).split(",") if m.strip())
    if not models or any(m not in ALL_MODELS for m in models):
        raise click.BadParameter(f"choose from {', '.join(ALL_MODELS)}", param_hint="--models")
    if options["spark_master"]:
        os.environ["RECOMMENDER_SPARK_MASTER"] = options["spark_master"]
    dataset, ledger = load_data(options)
    if ledger is not None:
        from .ledger import DataError

        try:
            ledger.enforce(
                options["max_bad_share"], "run `validate` with the same options to see them"
            )
        except DataError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"loaded {dataset.name}: {len(dataset.interactions)} interactions")
    if ledger is not None:
        from .owndata import data_notes

        for line in data_notes(dataset.report):
            click.echo(line)
    from .prepare import Config
    from .tracking import tracked_run
    from .train import run

    n = len(dataset.interactions)
    announce(max(3.0, n / 100_000 * (20 + 1.5 * options["tune"])), "train")
    cfg = Config(
        threshold=None if options["all_interactions"] else options["threshold"],
        min_user=options["min_user_interactions"],
        min_item=options["min_item_interactions"],
        recency_half_life=options["recency_half_life"] or None,
        split=options["split_how"],
        test_fraction=options["test_fraction"],
        last_n=options["last_n"],
        k=options["k"],
        cutoffs=options["cutoffs"],
        rolling_share=options["rolling_share"],
        models=models,
        seed=options["seed"],
    )
    name = __package__ or "recommender"
    with tracked_run(name, f"{dataset.name}-{cfg.split}", options["track"]) as tr:
        try:
            summary = run(
                dataset, cfg, options["artifacts"], options["reports"], options["tune"], click.echo
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        tr.params({"dataset": dataset.name, "tune_trials": options["tune"], "threads": threads})
        tr.metrics(
            {
                f"{model}.{metric}_at_{cfg.k}": value
                for model, res in summary["models"].items()
                for metric, value in res.items()
                if isinstance(value, float)
            }
        )
        tr.metrics({"train_seconds": time.perf_counter() - started})
        tr.artifact(options["reports"])
    _print_table(summary)
    click.echo(
        f"served model: {summary['served_model']}; total {time.perf_counter() - started:.1f}s"
    )


def _print_table(summary: dict) -> None:
    from .reporting import comparison_table

    click.echo(comparison_table(summary))


@main.command()
@click.option("--artifacts", type=click.Path(**PATHS), default=Path("artifacts"), show_default=True)
@click.option("--reports", type=click.Path(**PATHS), default=Path("reports"), show_default=True)
def evaluate(artifacts: Path, reports: Path) -> None:
    """Re-score the saved test-time models on the saved test split; rewrite reports/."""
    from .artifacts import ArtifactsError
    from .cpu import configure_cpu
    from .train import evaluate_saved

    configure_cpu()
    try:
        summary = evaluate_saved(artifacts, reports)
    except ArtifactsError as exc:
        raise click.ClickException(str(exc)) from exc
    _print_table(summary)


@main.command()
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, **PATHS),
    default=Path("README.md"),
    show_default=True,
)
@click.option("--reports", type=click.Path(**PATHS), default=Path("reports"), show_default=True)
def report(readme: Path, reports: Path) -> None:
    """Write README results and MODEL_CARD.md from reports/metrics.json."""
    from .report import write_readme

    try:
        write_readme(readme, reports)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"results written to {readme} and {readme.with_name('MODEL_CARD.md')}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--artifacts", type=click.Path(**PATHS), default=Path("artifacts"), show_default=True)
@click.option("--ann", is_flag=True, help="Answer from an HNSW index (ALS/BPR; needs .[ann])")
def serve(host: str, port: int, artifacts: Path, ann: bool) -> None:
    """Serve the API and the demo page (GET /) with uvicorn, one worker."""
    import uvicorn

    if not (artifacts / "meta.json").is_file():
        raise click.ClickException(f"no trained model in {artifacts}: run `train` first")
    os.environ["ARTIFACTS_DIR"] = str(artifacts)
    os.environ["RECOMMENDER_ANN"] = "1" if ann else "0"
    uvicorn.run(f"{__package__}.api:app", host=host, port=port, access_log=False)

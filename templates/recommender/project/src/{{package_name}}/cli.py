"""Command line: download, train, evaluate, report, serve."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from . import DEFAULT_DATASET, __version__

DATASET_CHOICES = ("ml-latest-small", "ml-100k", "ml-1m", "csv")
MODEL_CHOICES = ("random", "popularity", "itemknn", "als", "bpr", "content")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__)
def main() -> None:
    """Recommender: MovieLens or your own interactions, models side by side, served as an API."""


@main.command()
@click.option(
    "--dataset", type=click.Choice(DATASET_CHOICES[:3]), default=None, help="MovieLens variant"
)
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=Path("data"), show_default=True
)
@click.option("--sha256", default=None, help="Accept an archive with this checksum instead")
def download(dataset: str | None, data_dir: Path, sha256: str | None) -> None:
    """Download and verify a MovieLens archive, then extract it into DATA_DIR."""
    from .data import download as fetch_movielens
    from .download import DownloadError

    name = dataset or (DEFAULT_DATASET if DEFAULT_DATASET != "csv" else "ml-latest-small")
    try:
        folder = fetch_movielens(name, data_dir, sha256)
    except DownloadError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{name} ready in {folder}")


def _load(options: dict) -> object:
    from .data import CsvColumns, DataError, download, load_csv, load_movielens
    from .download import DownloadError

    dataset = options["dataset"]
    try:
        if dataset == "csv" or options["interactions"]:
            if not options["interactions"]:
                raise click.UsageError("--dataset csv needs --interactions PATH")
            columns = CsvColumns(
                options["user_col"],
                options["item_col"],
                options["rating_col"] or None,
                options["timestamp_col"] or None,
            )
            return load_csv(
                options["interactions"],
                columns,
                options["items"],
                options["item_title_col"],
                options["item_tags_col"] or None,
            )
        folder = options["data_dir"]
        if folder is None:
            folder = download(dataset, Path("data"))
        return load_movielens(folder)
    except (DataError, DownloadError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option(
    "--dataset", type=click.Choice(DATASET_CHOICES), default=DEFAULT_DATASET, show_default=True
)
@click.option(
    "--data-dir",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="An extracted MovieLens folder to use instead of downloading into data/",
)
@click.option(
    "--interactions",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Your interactions CSV (implies --dataset csv)",
)
@click.option(
    "--items",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Optional item metadata CSV (id, title, genres/tags)",
)
@click.option("--user-col", default="user_id", show_default=True)
@click.option("--item-col", default="item_id", show_default=True)
@click.option("--rating-col", default="rating", show_default=True, help="'' if there is none")
@click.option("--timestamp-col", default="timestamp", show_default=True, help="'' if there is none")
@click.option("--item-title-col", default="title", show_default=True)
@click.option(
    "--item-tags-col", default="genres", show_default=True, help="'|', ',' or ';' separated"
)
@click.option(
    "--threshold",
    type=float,
    default=3.5,
    show_default=True,
    help="Ratings at or above it count as positive feedback",
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
    help="A user's n-th latest interaction weighs 0.5**(n/half-life); 0 weighs all the same",
)
@click.option(
    "--split",
    "split_how",
    type=click.Choice(["temporal", "leave-last-n"]),
    default="temporal",
    show_default=True,
)
@click.option(
    "--test-fraction",
    type=click.FloatRange(0.01, 0.99),
    default=0.2,
    show_default=True,
    help="Temporal split: share of the latest interactions held out",
)
@click.option(
    "--last-n",
    type=click.IntRange(1),
    default=1,
    show_default=True,
    help="Leave-last-n-out: interactions held out per user",
)
@click.option("-k", "--k", "k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option(
    "--models",
    default=",".join(MODEL_CHOICES),
    show_default=True,
    help="Comma-separated models to train side by side",
)
@click.option(
    "--tune",
    type=click.IntRange(0),
    default=0,
    show_default=True,
    help="Optuna trials for ALS on a validation split carved from training data",
)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option(
    "--artifacts", type=click.Path(path_type=Path), default=Path("artifacts"), show_default=True
)
@click.option(
    "--reports", type=click.Path(path_type=Path), default=Path("reports"), show_default=True
)
@click.option("--track/--no-track", default=True, show_default=True, help="Log the run to MLflow")
def train(**options: object) -> None:
    """Split, train every model side by side, evaluate, save artifacts/ and reports/."""
    from .tracking import tracked_run
    from .train import Config, run

    started = time.perf_counter()
    models = tuple(m.strip() for m in str(options["models"]).split(",") if m.strip())
    unknown = [m for m in models if m not in MODEL_CHOICES]
    if unknown or not models:
        raise click.BadParameter(f"choose from {', '.join(MODEL_CHOICES)}", param_hint="--models")
    dataset = _load(options)
    click.echo(f"loaded {dataset.name}: {json.dumps(dataset.report)}")
    cfg = Config(
        threshold=None if options["all_interactions"] else options["threshold"],
        min_user=options["min_user_interactions"],
        min_item=options["min_item_interactions"],
        recency_half_life=options["recency_half_life"] or None,
        split=options["split_how"],
        test_fraction=options["test_fraction"],
        last_n=options["last_n"],
        k=options["k"],
        models=models,
        seed=options["seed"],
    )
    with tracked_run(
        __package__ or "recommender", f"{dataset.name}-{cfg.split}", options["track"]
    ) as tr:
        try:
            summary = run(
                dataset, cfg, options["artifacts"], options["reports"], options["tune"], click.echo
            )
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        tr.params(
            {"dataset": dataset.name, "tune_trials": options["tune"], **_flat(summary["config"])}
        )
        tr.metrics(
            {
                f"{name}.{metric}_at_{cfg.k}": value
                for name, res in summary["models"].items()
                for metric, value in res.items()
            }
        )
        tr.metrics({"train_seconds": time.perf_counter() - started})
        tr.artifact(options["reports"])
    _print_table(summary)
    click.echo(
        f"served model: {summary['served_model']}; total {time.perf_counter() - started:.1f}s"
    )


def _flat(config: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in config.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _print_table(summary: dict) -> None:
    from .report import comparison_table

    click.echo(comparison_table(summary))


@main.command()
@click.option(
    "--artifacts", type=click.Path(path_type=Path), default=Path("artifacts"), show_default=True
)
@click.option(
    "--reports", type=click.Path(path_type=Path), default=Path("reports"), show_default=True
)
def evaluate(artifacts: Path, reports: Path) -> None:
    """Score the saved models on the saved test split; write reports/metrics.json and the chart."""
    from .train import evaluate_saved

    try:
        summary = evaluate_saved(artifacts, reports)
    except FileNotFoundError as exc:
        raise click.ClickException(f"{exc}; run `train` first") from exc
    _print_table(summary)


@main.command()
@click.option(
    "--readme",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("README.md"),
    show_default=True,
)
@click.option(
    "--reports", type=click.Path(path_type=Path), default=Path("reports"), show_default=True
)
def report(readme: Path, reports: Path) -> None:
    """Write the results in reports/ into README.md between the results markers."""
    from .report import write_readme

    try:
        write_readme(readme, reports)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"results written to {readme}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8000, show_default=True)
@click.option(
    "--artifacts", type=click.Path(path_type=Path), default=Path("artifacts"), show_default=True
)
def serve(host: str, port: int, artifacts: Path) -> None:
    """Serve the API with uvicorn (one worker)."""
    import os

    import uvicorn

    if not (artifacts / "meta.json").is_file():
        raise click.ClickException(f"no trained model in {artifacts}: run `train` first")
    os.environ["ARTIFACTS_DIR"] = str(artifacts)
    uvicorn.run(f"{__package__}.api:app", host=host, port=port)

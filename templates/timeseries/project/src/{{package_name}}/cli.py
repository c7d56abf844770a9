"""Command line: download, sample-data, validate, train, evaluate, report, serve."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import click

from . import __version__
from .models import DEFAULT_MODELS, MODEL_CHOICES

ARTIFACTS = click.option("--artifacts", type=click.Path(path_type=Path), default=Path("artifacts"))
REPORTS = click.option("--reports", type=click.Path(path_type=Path), default=Path("reports"))
TAYLOR_CSV = Path("data/taylor_half_hourly.csv")
LOAD_FILE = "load.json"


def data_options(func):
    """The options that say where the data is and how to read it (shared by several verbs)."""
    options = [
        click.option("--data", type=click.Path(path_type=Path, dir_okay=False), default=None,
                     help=f"CSV or Parquet [default: {TAYLOR_CSV} (`download` first)]"),
        click.option("--time-col", default="timestamp"),
        click.option("--value-col", default=None, help="[default: demand_mw for Taylor, else demand]"),
        click.option("--id-col", default="", help="Series id column for many series"),
        click.option("--exog", default="", help="Comma-separated exogenous columns (validated)"),
        click.option("--freq", default=None,
                     help="Any pandas offset: 30min, h, D, B, W-MON, MS, ME, QS [default: inferred]"),
        click.option("--holidays", default=None,
                     help="Country (GB, US, GB-ENG) or market (NYSE) holidays: a LightGBM feature "
                          "and the closed days of a business-day calendar [default: GB-ENG for "
                          "Taylor, none for your data]"),
        click.option("--timezone", default=None,
                     help="Zone of naive local timestamps (DST-aware); rows with a UTC offset "
                          "are converted from it"),
        click.option("--gaps", type=click.Choice(["interpolate", "refuse"]), default="interpolate"),
        click.option("--duplicates", type=click.Choice(["mean", "first", "refuse"]), default="mean"),
        click.option("--max-gap", type=click.IntRange(1), default=48, help="Longest gap filled"),
    ]  # fmt: skip
    return functools.reduce(lambda f, o: o(f), reversed(options), func)


def _load(opts: dict):
    from .data import Columns, load
    from .ledger import DataError

    path = opts["data"] or TAYLOR_CSV
    value = opts["value_col"] or ("demand_mw" if opts["data"] is None else "demand")
    if opts["data"] is None and not path.is_file():
        raise click.ClickException(f"no {path}: run `download` first, or pass --data FILE")
    exog = tuple(c.strip() for c in opts["exog"].split(",") if c.strip())
    columns = Columns(opts["time_col"], value, opts["id_col"], exog)
    holidays = opts.get("holidays")
    if holidays is None:
        holidays = "GB-ENG" if opts["data"] is None else ""
    try:
        return load(path, columns, freq=opts["freq"], gaps=opts["gaps"],
                    duplicates=opts["duplicates"], timezone=opts["timezone"],
                    max_gap=opts["max_gap"], holidays=holidays,
                    warn=functools.partial(click.echo, err=True))  # fmt: skip
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__)
def main() -> None:
    """Forecast time series: baselines to deep models, backtested honestly, served as an API."""


@main.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=Path("data"))
def download(data_dir: Path) -> None:
    """Download Taylor's half-hourly demand data (SHA-256 checked) into DATA_DIR."""
    from .download import DownloadError
    from .sources import LICENCE, download_taylor

    try:
        out = download_taylor(data_dir)
    except DownloadError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {out}\nlicence: {LICENCE}")


@main.command("sample-data")
@click.option("--out", type=click.Path(path_type=Path), default=Path("data/sample.csv"))
@click.option("--days", type=click.IntRange(14), default=42)
@click.option("--series", type=click.IntRange(1, 1000), default=1)
@click.option("--seed", type=int, default=0)
def sample_data(out: Path, days: int, series: int, seed: int) -> None:
    """Write synthetic half-hourly demand (daily + weekly seasons) to try the project offline."""
    from .synthetic import write_csv

    if out.exists():
        raise click.ClickException(f"{out} exists: remove it or pick another --out")
    write_csv(out, days=days, series=series, seed=seed)
    click.echo(f"wrote {out}: {series} series of {days} days (columns timestamp,series_id,demand)")


@main.command()
@data_options
def validate(**opts) -> None:
    """Read the data, report every rejected row, duplicate and gap; exit 1 on problems."""
    data = _load(opts)
    click.echo(data.ledger.summary())
    click.echo(json.dumps(data.regularity.as_dict() | {"per_series": "..."}))
    if data.ledger.bad or data.regularity.gaps or data.regularity.duplicates:
        raise SystemExit(1)


@main.command()
@data_options
@click.option("--models", default=",".join(DEFAULT_MODELS), help=f"From {','.join(MODEL_CHOICES)}")
@click.option("--horizon", type=click.IntRange(1), default=48)
@click.option("--test-origins", type=click.IntRange(1), default=28)
@click.option("--val-origins", type=click.IntRange(2), default=14)
@click.option(
    "--step", type=click.IntRange(0), default=0, help="Steps between origins [0: horizon]"
)
@click.option(
    "--epochs", type=click.IntRange(1), default=40, help="Deep models, with early stopping"
)
@click.option("--lookback-weeks", type=click.IntRange(2), default=4, help="MSTL history")
@click.option("--device", default="auto", help="Deep models: auto, cpu, cuda")
@click.option("--quick", is_flag=True, help="Smoke run: short horizon, few origins and epochs")
@click.option("--seed", type=int, default=0)
@click.option("--max-bad-share", type=click.FloatRange(0, 1), default=0.01)
@click.option("--track/--no-track", default=True, help="Log the run to MLflow")
@click.option("--serve", "serve_model", default="", metavar="MODEL",
              help="Serve this model even if it does not beat the best baseline "
                   "[default: the validation winner if it beats the best baseline, else the baseline]")  # fmt: skip
@click.option("--note", default="", help="One line on what this run tries (EXPERIMENTS.md)")
@ARTIFACTS
@REPORTS
def train(**opts) -> None:
    """Backtest every model on rolling origins, pick the winner on validation, save artifacts/."""
    from .cpu import announce, configure_cpu

    configure_cpu()
    from .backtest import Protocol
    from .ledger import DataError

    names = tuple(m.strip() for m in opts["models"].split(",") if m.strip())
    if not names or any(m not in MODEL_CHOICES for m in names):
        raise click.BadParameter(f"choose from {', '.join(MODEL_CHOICES)}", param_hint="--models")
    try:
        from .deep import DeepConfig
    except ImportError as exc:
        raise click.ClickException(
            "training needs the train extra: pip install -e '.[train]'"
        ) from exc
    data = _load(opts)
    try:
        data.ledger.enforce(opts["max_bad_share"], "run `validate` to see the rejected rows")
    except DataError as exc:
        raise click.ClickException(str(exc)) from exc
    quick = opts["quick"]
    protocol = Protocol(
        horizon=24 if quick else opts["horizon"],
        test_origins=4 if quick else opts["test_origins"],
        val_origins=3 if quick else opts["val_origins"],
        step=opts["step"],
    )
    deep = DeepConfig(
        epochs=3 if quick else opts["epochs"], seed=opts["seed"], device=opts["device"]
    )
    options = {"deep": deep, "seed": opts["seed"], "lookback_weeks": opts["lookback_weeks"],
               "serve": opts["serve_model"]}  # fmt: skip
    origins = (protocol.test_origins + protocol.val_origins) * len(data.ids)
    announce(5 + 0.8 * origins + (6 if quick else 120) * sum(m in ("lstm", "transformer") for m in names),
             "train")  # fmt: skip
    from .export import ExportError
    from .tracking import tracked_run
    from .train import train as run_training

    load = {k: (str(v) if isinstance(v, Path) else v) for k, v in opts.items()
            if k in ("data", "time_col", "value_col", "id_col", "exog", "freq", "timezone", "gaps",
                     "duplicates", "max_gap", "holidays")}  # fmt: skip

    with tracked_run(__package__ or "timeseries", "backtest", opts["track"]) as tr:
        try:
            summary = run_training(
                data, names, protocol, options, opts["artifacts"], opts["reports"], click.echo, load
            )
        except (ValueError, ExportError) as exc:
            raise click.ClickException(str(exc)) from exc
        tr.params({"models": ",".join(names), **protocol.__dict__, "epochs": deep.epochs})
        tr.metrics(
            {f"{m}.{b}.mase": v[b]["mase"] for m, v in summary["metrics"].items() for b in v}
        )
    from .experiments import log_run

    settings = ("models", "horizon", "test_origins", "val_origins", "step", "epochs",
                "lookback_weeks", "quick", "seed", "serve_model", "holidays", "freq", "gaps")  # fmt: skip
    log_run(
        opts["reports"], note=opts["note"], params={k: opts.get(k) for k in settings},
        data=summary["data_fingerprint"], model=summary["served"],
        model_version=summary["model_version"], metric="validation MASE",
        scores=summary["val_scores"], lower_is_better=True,
    )  # fmt: skip
    for name, res in summary["metrics"].items():
        click.echo(
            f"{name:12s} val MASE {res['val']['mase']:.3f}  test MASE {res['test']['mase']:.3f}"
        )
    click.echo(f"winner (validation): {summary['winner']}; {summary['total_seconds']:.0f} s")
    click.echo(summary["comparison"]["verdict"])
    click.echo(f"{summary['served_reason']} Model version {summary['model_version']}.")


@main.command()
@ARTIFACTS
@REPORTS
def evaluate(artifacts: Path, reports: Path) -> None:
    """Metrics with bootstrap intervals, plots, and a replay of the test origins by the server."""
    from .cpu import configure_cpu

    configure_cpu()
    from .evaluate import evaluate as run_evaluate

    load_file = artifacts / LOAD_FILE
    if not load_file.is_file():
        raise click.ClickException(f"no trained model in {artifacts}: run `train` first")
    opts = json.loads(load_file.read_text("utf-8"))
    opts["data"] = Path(opts["data"]) if opts["data"] else None
    result = run_evaluate(artifacts, reports, _load(opts))
    for row in result["test"]:
        click.echo(f"{row['model']:12s} test MASE {row['mase']['value']:.3f} "
                   f"[{row['mase']['low']:.3f}, {row['mase']['high']:.3f}]")  # fmt: skip
    click.echo(f"serving replay: {result['serving_replay']}")


@main.command()
@click.option("--readme", type=click.Path(path_type=Path), default=Path("README.md"))
@click.option("--card", type=click.Path(path_type=Path), default=Path("MODEL_CARD.md"))
@REPORTS
def report(readme: Path, card: Path, reports: Path) -> None:
    """Write the results into README.md and MODEL_CARD.md from reports/metrics.json, and
    EXPERIMENTS.md from the log of every `train` run."""
    from .experiments import write_experiments
    from .report import write_reports

    experiments = readme.parent / "EXPERIMENTS.md"
    try:
        write_reports(readme, reports, card)
        runs = write_experiments(reports, experiments)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"results written to {readme} and {card}; {runs} runs in {experiments}")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", type=int, default=8000)
@ARTIFACTS
def serve(host: str, port: int, artifacts: Path) -> None:
    """Serve the API with uvicorn (GET / is the demo page)."""
    import os

    import uvicorn

    if not (artifacts / "meta.json").is_file():
        raise click.ClickException(f"no trained model in {artifacts}: run `train` first")
    os.environ["ARTIFACTS_DIR"] = str(artifacts)
    uvicorn.run(f"{__package__}.api:app", host=host, port=port, access_log=False)

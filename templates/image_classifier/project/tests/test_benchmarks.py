"""The benchmark scripts run on this project as generated: tiny IDX files in, figures out."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

PROJECT = Path(__file__).resolve().parents[1]


def write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file as MNIST and Fashion-MNIST ship them (uint8, gzipped)."""
    header = bytes([0, 0, 8, array.ndim]) + b"".join(d.to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def write_digits(folder: Path, prefix: str, per_class: int) -> None:
    """Noise images with a bright bar whose row is the class: learnable in one epoch."""
    rng = np.random.default_rng(len(prefix))
    labels = np.repeat(np.arange(10), per_class)
    images = (rng.random((len(labels), 28, 28)) * 40).astype(np.uint8)
    images[np.arange(len(labels)), 2 + 2 * labels] = 255
    write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


@pytest.mark.parametrize(
    ("script", "prefixes"), [("mnist.py", ["t10k"]), ("fashion_mnist.py", ["train", "t10k"])]
)
def test_the_benchmark_runs_and_prints_its_targets(
    tmp_path: Path, script: str, prefixes: list[str]
):
    for prefix in prefixes:
        write_digits(tmp_path, prefix, per_class=12)
    command = [
        sys.executable, f"benchmarks/{script}", str(tmp_path), "--work", str(tmp_path / "work"),
        "--seeds", "0", "--epochs", "1", "--threads", "1",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "test accuracy over seeds: " in run.stdout
    assert "targets: mean test accuracy" in run.stdout
    assert (tmp_path / "work" / "seed-0" / "reports" / "metrics.json").is_file()


def test_the_training_speed_benchmark_prints_each_variant():
    command = [sys.executable, "benchmarks/train_speed.py", "--width", "4", "--size", "16",
               "--batch-size", "8", "--steps", "1"]  # fmt: skip
    run = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    for variant in ("float32", "float32, channels-last", "bf16, channels-last"):
        assert f"\n{variant}: " in run.stdout

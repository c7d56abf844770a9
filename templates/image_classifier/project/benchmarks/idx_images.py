"""The IDX files of MNIST and Fashion-MNIST written out as class folders of PNGs, as users have
their images."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from PIL import Image


def read_idx(path: Path) -> np.ndarray:
    """The array in an IDX file (``*-idx3-ubyte.gz`` images, ``*-idx1-ubyte.gz`` labels)."""
    with gzip.open(path, "rb") as handle:
        raw = handle.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def write_class_folders(
    images: np.ndarray, labels: np.ndarray, class_names: list[str], dest: Path
) -> None:
    """``dest/<class name>/<index>.png`` for every image (``dest.complete`` marks a full write)."""
    done = dest.with_name(dest.name + ".complete")
    if done.exists():
        return
    for i, (image, label) in enumerate(zip(images, labels, strict=True)):
        folder = dest / class_names[label]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image, mode="L").save(folder / f"{i:05d}.png")
    done.touch()

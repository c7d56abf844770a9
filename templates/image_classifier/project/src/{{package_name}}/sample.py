"""`sample-data`: a tiny synthetic dataset (three shape classes) for smoke runs and the demo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

CLASSES = ["circle", "square", "stripes"]


def draw(label: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """A noisy RGB uint8 image of a circle, a square or vertical stripes (``CLASSES[label]``)."""
    image = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
    yy, xx = np.mgrid[:size, :size]
    if label == 0:
        mask = (yy - size / 2) ** 2 + (xx - size / 2) ** 2 < (size / 3) ** 2
    elif label == 1:
        mask = (abs(yy - size / 2) < size / 4) & (abs(xx - size / 2) < size / 4)
    else:
        mask = (xx // max(1, size // 6)) % 2 == 0
    image[mask] = [220, 200 - 60 * label, 60 + 80 * label]
    return image


def write_sample(root: Path, per_class: int = 40, size: int = 24, seed: int = 0) -> Path:
    """``root/<class>/NNN.png``; refuses to write into a folder that already has files."""
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} is not empty: choose another --out")
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.fromarray(draw(label, size, rng)).save(root / name / f"{i:03d}.png")
    return root

"""Datasets: CIFAR-10 (downloaded on request, checksum-verified) or a folder of your own images.

Everything is decoded once into uint8 arrays (N x C x H x W) so that training can keep the whole
dataset on the device and augment it there.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .download import DownloadError, extract, fetch
from .preprocess import IMAGE_SUFFIXES, ImageError, load_array

log = logging.getLogger(__name__)

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_SHA256 = "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"
CIFAR10_MD5 = "c58f30108f718f92721af3b95e74349a"  # the checksum published with the dataset
CIFAR10_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR10_DIR = "cifar-10-batches-py"
CIFAR10_FILES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch", "batches.meta"]
SPLITS = ("train", "val", "test")
#: Largest side an automatically chosen input size may have (pass --image-size to go higher).
AUTO_MAX_SIZE = 64


class DataError(RuntimeError):
    """The data is missing, empty or laid out wrongly (the message says how to fix it)."""


@dataclass
class Dataset:
    """Decoded images per split (uint8, N x C x H x W), integer labels and class names."""

    classes: list[str]
    splits: dict[str, tuple[np.ndarray, np.ndarray]]
    image_size: int
    channels: int
    source: str
    skipped: int = 0
    skipped_files: list[str] = field(default_factory=list)

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        return self.splits.get(name) or self.empty()

    def empty(self) -> tuple[np.ndarray, np.ndarray]:
        shape = (0, self.channels, self.image_size, self.image_size)
        return np.zeros(shape, np.uint8), np.zeros(0, np.int64)

    def sizes(self) -> dict[str, int]:
        return {name: len(self.split(name)[1]) for name in SPLITS}


def load_dataset(
    data: str,
    data_dir: Path = Path("data"),
    *,
    image_size: int | None = None,
    channels: int | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    download: bool = False,
    progress: bool = True,
) -> Dataset:
    """Load ``data``: ``"cifar10"`` or the path of an image folder (see :func:`load_folder`)."""
    if data.lower() in {"cifar10", "cifar-10"}:
        return load_cifar10(
            data_dir / "cifar10", download=download, val_fraction=val_fraction, seed=seed
        )
    return load_folder(
        Path(data),
        image_size=image_size,
        channels=channels,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        seed=seed,
        progress=progress,
    )


# --- CIFAR-10 ------------------------------------------------------------------------------------


def md5sum(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def download_cifar10(
    root: Path,
    url: str = CIFAR10_URL,
    sha256: str = CIFAR10_SHA256,
    md5: str = CIFAR10_MD5,
) -> Path:
    """Download (if needed), verify (SHA-256 and the published MD5) and extract CIFAR-10."""
    archive = fetch(url, root / CIFAR10_ARCHIVE, sha256)
    if md5sum(archive) != md5:
        raise DownloadError(f"{archive} does not match the published MD5 {md5}; delete it")
    extract(archive, root)
    return root / CIFAR10_DIR


def _unpickle(path: Path) -> dict:
    # The files come from the checksum-verified archive; pickle is the format CIFAR-10 ships in.
    with path.open("rb") as handle:
        return pickle.load(handle, encoding="bytes")


def load_cifar10(
    root: Path,
    *,
    download: bool = False,
    val_fraction: float = 0.1,
    seed: int = 0,
    **kwargs: object,
) -> Dataset:
    """CIFAR-10 from ``root``; downloaded only when ``download`` is true (nothing otherwise)."""
    folder = root / CIFAR10_DIR
    if not all((folder / name).is_file() for name in CIFAR10_FILES):
        if download or (root / CIFAR10_ARCHIVE).is_file():
            folder = download_cifar10(root, **kwargs)  # type: ignore[arg-type]
        else:
            raise DataError(
                f"CIFAR-10 is not in {root}: run the `download` command (or `train --download`) "
                "to fetch it, or pass --data with a folder of your own images"
            )

    def batch(name: str) -> tuple[np.ndarray, np.ndarray]:
        raw = _unpickle(folder / name)
        images = np.asarray(raw[b"data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        return images, np.asarray(raw[b"labels"], dtype=np.int64)

    parts = [batch(f"data_batch_{i}") for i in range(1, 6)]
    train = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    classes = [c.decode() for c in _unpickle(folder / "batches.meta")[b"label_names"]]
    splits = {"test": batch("test_batch")}
    train_idx, val_idx, _ = stratified_split(train[1], val_fraction, 0.0, seed)
    splits["train"] = train[0][train_idx], train[1][train_idx]
    if len(val_idx):
        splits["val"] = train[0][val_idx], train[1][val_idx]
    return Dataset(classes, splits, image_size=32, channels=3, source="cifar10")


# --- your own images ---------------------------------------------------------------------------


def stratified_split(
    labels: np.ndarray, val_fraction: float, test_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded, stratified indices for train/val/test (every class keeps a training example)."""
    rng = np.random.default_rng(seed)
    parts: list[list[np.ndarray]] = [[], [], []]
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n = len(idx)
        n_test = _share(n, test_fraction)
        n_val = _share(n - n_test, val_fraction / max(1e-9, 1 - test_fraction))
        n_val = min(n_val, max(0, n - n_test - 1))
        parts[2].append(idx[:n_test])
        parts[1].append(idx[n_test : n_test + n_val])
        parts[0].append(idx[n_test + n_val :])
    return tuple(np.sort(np.concatenate(p)).astype(np.int64) for p in parts)  # type: ignore[return-value]


def _share(n: int, fraction: float) -> int:
    if fraction <= 0 or n < 2:
        return 0
    return min(n - 1, max(1, round(n * fraction)))


def _class_files(folder: Path) -> dict[str, list[Path]]:
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            p for p in sub.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if files:
            classes[sub.name] = files
    return classes


def scan_folder(
    root: Path, val_fraction: float, test_fraction: float, seed: int
) -> tuple[list[str], dict[str, list[tuple[Path, int]]]]:
    """Class names and the files of each split (the split is seeded and stratified)."""
    if not root.is_dir():
        raise DataError(
            f"no image folder at {root}: put your images in {root}/<class>/*.png|jpg|jpeg|webp"
        )
    given = {s: root / s for s in SPLITS if (root / s).is_dir()}
    if "train" in given:
        per_split = {s: _class_files(p) for s, p in given.items()}
        classes = sorted(per_split["train"])
        unknown = {c for s in per_split.values() for c in s} - set(classes)
        if unknown:
            raise DataError(f"classes {sorted(unknown)} have no images in {root / 'train'}")
    else:
        per_split = {"train": _class_files(root)}
        classes = sorted(per_split["train"])
    if len(classes) < 2:
        raise DataError(
            f"{root} needs at least two class folders with images ({root}/<class>/*.png), "
            f"found {classes or 'none'}"
        )
    files: dict[str, list[tuple[Path, int]]] = {
        s: [(f, classes.index(c)) for c, fs in per_split[s].items() for f in fs] for s in per_split
    }
    missing = [s for s in ("val", "test") if s not in files]
    if missing:
        train = files["train"]
        labels = np.array([label for _, label in train])
        train_idx, val_idx, test_idx = stratified_split(
            labels,
            val_fraction if "val" in missing else 0.0,
            test_fraction if "test" in missing else 0.0,
            seed,
        )
        files["train"] = [train[i] for i in train_idx]
        if "val" in missing:
            files["val"] = [train[i] for i in val_idx]
        if "test" in missing:
            files["test"] = [train[i] for i in test_idx]
    return classes, files


def _probe(path: Path) -> tuple[int, int, str] | None:
    try:
        with Image.open(path) as image:
            return image.size[0], image.size[1], image.mode
    except Exception:  # any unreadable header is reported when decoding
        return None


def choose_format(paths: Sequence[Path], max_probe: int = 2000) -> tuple[int, int]:
    """An input size and channel count for a set of images (from their headers, a sample)."""
    step = max(1, len(paths) // max_probe)
    probes = [p for p in map(_probe, paths[::step]) if p]
    if not probes:
        return AUTO_MAX_SIZE, 3
    sizes = {(w, h) for w, h, _ in probes}
    gray = all(mode in {"1", "L", "LA", "I", "I;16", "F"} for *_, mode in probes)
    if len(sizes) == 1 and (side := next(iter(sizes)))[0] == side[1]:
        size = min(side[0], AUTO_MAX_SIZE)
    else:
        size = min(AUTO_MAX_SIZE, int(np.median([min(w, h) for w, h, _ in probes])))
    return max(8, size), 1 if gray else 3


def load_folder(
    root: Path,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    progress: bool = True,
) -> Dataset:
    """Images in ``root/<class>/`` (or ``root/{train,val,test}/<class>/``), decoded and resized.

    Unreadable files are skipped with a warning and counted in ``Dataset.skipped``.
    """
    classes, files = scan_folder(root, val_fraction, test_fraction, seed)
    auto_size, auto_channels = choose_format([f for f, _ in files["train"]])
    size, chans = image_size or auto_size, channels or auto_channels

    def decode(path: Path) -> np.ndarray | None:
        try:
            return load_array(path, size, chans)
        except (ImageError, OSError) as exc:
            log.warning("skipping %s: %s", path, exc)
            return None

    total = sum(len(v) for v in files.values())
    splits: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    skipped: list[str] = []
    workers = min(8, os.cpu_count() or 1)
    hide = None if progress else True  # None: no bar when the output is not a terminal
    with (
        ThreadPoolExecutor(workers) as pool,
        tqdm(total=total, desc="decode", unit="img", disable=hide, leave=False) as bar,
    ):
        for split, items in files.items():
            arrays, labels = [], []
            for (path, label), array in zip(
                items, pool.map(decode, [p for p, _ in items]), strict=True
            ):
                bar.update()
                if array is None:
                    skipped.append(str(path))
                else:
                    arrays.append(array)
                    labels.append(label)
            if arrays:
                splits[split] = np.stack(arrays), np.asarray(labels, dtype=np.int64)
    if skipped:
        log.warning("skipped %d unreadable image file(s) in %s", len(skipped), root)
    if "train" not in splits:
        raise DataError(f"no readable training images in {root}")
    return Dataset(classes, splits, size, chans, str(root), len(skipped), skipped)

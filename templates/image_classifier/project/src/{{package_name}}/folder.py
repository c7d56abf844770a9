"""Your own images: ``<root>/<class>/*`` or ``<root>/{train,val,test}/<class>/*``.

Split folders are matched case-insensitively (``Train``, ``valid``, ``validation``, ``Test`` ...).
Without them a seeded, stratified split is made. Given a saved split (``split.json`` of a trained
model), exactly its files are used. Every file is decoded once into uint8 arrays and hashed
(SHA-256) so the split can be saved and checked later.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from .dataset import SPLITS, DataError, Dataset, stratified_split
from .preprocess import (
    GRAY_MODES,
    IMAGE_SUFFIXES,
    MIN_AUTO_SIZE,
    MIN_SIZE,
    ImageError,
    load_array,
)

log = logging.getLogger(__name__)

#: Largest side an automatically chosen input size may have (pass --image-size to go higher).
AUTO_MAX_SIZE = 64
SPLIT_ALIASES = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val", "dev": "val",
    "test": "test", "testing": "test",
}  # fmt: skip
Files = dict[str, list[tuple[str, int]]]  # split -> (path relative to the root, label)


def _class_files(folder: Path, root: Path) -> dict[str, list[str]]:
    classes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        files = sorted(
            p.relative_to(root).as_posix()
            for p in sub.rglob("*")
            if p.is_file() and is_image_file(p)
        )
        if files:
            classes[sub.name] = files
    return classes


def is_image_file(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def other_files(root: Path) -> list[str]:
    """The files under ``root`` that are not images (.DS_Store, Thumbs.db, notes.txt ...)."""
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and not is_image_file(p)
    )


def other_files_note(root: Path) -> list[str]:
    """A note counting the files that are not images, if any: they are left out, not lost."""
    others = other_files(root)
    if not others:
        return []
    shown = ", ".join(others[:3]) + (", ..." if len(others) > 3 else "")
    return [f"{len(others)} file(s) that are not images left out: {shown}"]


def split_folders(root: Path) -> dict[str, Path]:
    """The split subfolders of ``root`` by canonical name (DataError on two for one split)."""
    found: dict[str, Path] = {}
    for child in sorted(p for p in root.iterdir() if p.is_dir()):
        split = SPLIT_ALIASES.get(child.name.lower())
        if split is None:
            continue
        if split in found:
            raise DataError(f"{found[split].name}/ and {child.name}/ are both a {split} split")
        found[split] = child
    if found and "train" not in found:
        names = ", ".join(f"{p.name}/" for p in found.values())
        raise DataError(f"{root} has {names} but no train/ folder: add one (or flatten it)")
    return found


def scan_folder(root: Path, val_fraction: float, test_fraction: float, seed: int):
    """Class names and each split's files; missing val/test splits are carved out of train."""
    if not root.is_dir():
        raise DataError(
            f"no image folder at {root}: put your images in {root}/<class>/*.png|jpg|jpeg|webp"
        )
    given = split_folders(root)
    if given:
        per_split = {s: _class_files(p, root) for s, p in given.items()}
        classes = sorted(per_split["train"])
        by_lower = {c.lower(): c for c in classes}
        unknown = {c for s in per_split.values() for c in s if c.lower() not in by_lower}
        if unknown:
            raise DataError(f"classes {sorted(unknown)} have no images in {given['train']}")
        per_split = {
            s: {by_lower[c.lower()]: fs for c, fs in v.items()} for s, v in per_split.items()
        }
    else:
        per_split = {"train": _class_files(root, root)}
        classes = sorted(per_split["train"])
    if len(classes) < 2:
        raise DataError(
            f"{root} needs at least two class folders with images ({root}/<class>/*.png), "
            f"found {classes or 'none'}"
        )
    files: Files = {
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


def probe_sample(paths: Sequence[Path], max_probe: int = 2000) -> list[tuple[int, int, str]]:
    """The headers (width, height, mode) of at most about ``max_probe`` evenly spaced images."""
    step = max(1, len(paths) // max_probe)
    return [p for p in map(_probe, paths[::step]) if p]


def choose_format(paths: Sequence[Path]) -> tuple[int, int, list[str]]:
    """An input size, a channel count and notes for a set of images (their headers, a sample)."""
    return format_from_probes(probe_sample(paths))


def median_side(probes: Sequence[tuple[int, int, str]]) -> int:
    """The median shorter side of images, in pixels, from their headers (width, height, mode)."""
    return int(np.median([min(w, h) for w, h, _ in probes])) if probes else 0


def folder_side(root: Path) -> int:
    """The median shorter side of (a sample of) the images in a folder, from their headers."""
    if not root.is_dir():
        return 0  # loading the folder says what is wrong
    folders = list(split_folders(root).values()) or [root]
    paths = [root / f for d in folders for fs in _class_files(d, root).values() for f in fs]
    return median_side(probe_sample(paths))


def format_from_probes(probes: Sequence[tuple[int, int, str]]) -> tuple[int, int, list[str]]:
    """An input size, a channel count and notes from image headers (width, height, mode)."""
    if not probes:
        return AUTO_MAX_SIZE, 3, []
    n_gray = sum(mode in GRAY_MODES for *_, mode in probes)
    size = max(MIN_AUTO_SIZE, min(AUTO_MAX_SIZE, median_side(probes)))
    notes = []
    if 0 < n_gray < len(probes):
        notes.append(
            f"mixed grayscale and colour images ({n_gray} of {len(probes)} sampled are "
            "grayscale): all are read as RGB, grayscale repeated in the three channels"
        )
    return size, 1 if n_gray == len(probes) else 3, notes


def format_notes(paths: Iterable[Path], size: int, fit: str = "crop") -> list[str]:
    """Notes on a sample of the images: how many were upscaled, and how many not square."""
    return probe_notes([probe for p in paths if (probe := _probe(p))], size, fit)


def probe_notes(probes: Sequence[tuple[int, int, str]], size: int, fit: str) -> list[str]:
    small = sum(1 for w, h, _ in probes if min(w, h) < size)
    oblong = sum(1 for w, h, _ in probes if w != h)
    upscaled = f"{small} of {len(probes)} sampled image(s) are smaller than {size} px: upscaled"
    notes = [upscaled] if small else []
    if oblong:
        how = (
            (
                "resized by their shorter side and centre-cropped (--fit squash keeps the whole "
                "image, distorted)"
            )
            if fit == "crop"
            else "squashed to a square (--fit squash)"
        )
        notes.append(f"{oblong} of {len(probes)} sampled image(s) are not square: {how}")
    return notes


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def load_folder(
    root: Path,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    progress: bool = True,
    files: Files | None = None,
    classes: list[str] | None = None,
    only: Iterable[str] = SPLITS,
    fit: str = "crop",
) -> Dataset:
    """Decode the images of ``root`` (the splits in ``only``), fitted to one square input size
    (``fit``: shorter side resized + centre crop, or squashed; see preprocess.to_array).

    ``files`` and ``classes`` (a saved split) replace the scan. Unreadable files are skipped
    with a warning and counted in ``Dataset.skipped``.
    """
    scanned = files is None or classes is None
    if scanned:
        classes, files = scan_folder(root, val_fraction, test_fraction, seed)
    if image_size is not None and image_size < MIN_SIZE:
        raise DataError(f"--image-size {image_size} is below the model's minimum of {MIN_SIZE}")
    train_paths = [root / f for f, _ in files.get("train", [])]
    auto_size, auto_channels, notes = choose_format(train_paths)
    size, chans = image_size or auto_size, channels or auto_channels
    notes += format_notes(train_paths[:: max(1, len(train_paths) // 500)], size, fit)
    notes += other_files_note(root) if scanned else []

    def decode(rel: str) -> tuple[np.ndarray | None, str]:
        try:
            raw = (root / rel).read_bytes()
        except OSError as exc:
            log.warning("skipping %s: %s", rel, exc)
            return None, ""
        digest = hashlib.sha256(raw).hexdigest()
        try:
            return load_array(raw, size, chans, fit), digest
        except ImageError as exc:
            log.warning("skipping %s: %s", rel, exc)
            return None, digest

    wanted = {s: v for s, v in files.items() if s in set(only)}
    data_manifest = {  # splits not decoded are still hashed, for the saved split
        s: [[rel, label, _digest(root / rel)] for rel, label in v]
        for s, v in files.items()
        if s not in wanted
    }
    total = sum(len(v) for v in wanted.values())
    data = Dataset(classes, {}, size, chans, str(root), notes=notes)
    workers = min(8, os.cpu_count() or 1)
    hide = None if progress else True  # None: no bar when the output is not a terminal
    with (
        ThreadPoolExecutor(workers) as pool,
        tqdm(total=total, desc="decode", unit="img", disable=hide, leave=False) as bar,
    ):
        for split, items in wanted.items():
            arrays, labels, names, manifest = [], [], [], []
            for (rel, label), (array, digest) in zip(
                items, pool.map(decode, [f for f, _ in items]), strict=True
            ):
                bar.update()
                if array is None:
                    data.skipped_files.append(rel)
                    continue
                arrays.append(array)
                labels.append(label)
                names.append(rel)
                manifest.append([rel, label, digest])
            data.files[split], data.manifest[split] = names, manifest
            if arrays:
                data.splits[split] = np.stack(arrays), np.asarray(labels, dtype=np.int64)
    data.manifest |= data_manifest
    data.skipped = len(data.skipped_files)
    if data.skipped:
        log.warning("skipped %d unreadable image file(s) in %s", data.skipped, root)
    if "train" in wanted and "train" not in data.splits:
        raise DataError(f"no readable training images in {root}")
    return data

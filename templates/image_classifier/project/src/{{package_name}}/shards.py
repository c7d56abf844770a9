"""Image shards for data larger than memory: an image folder packed into tar files plus an index.

`pack` writes ``<out>/<split>-000000.tar`` ... in the webdataset layout (``<key>.<ext>`` holds the
original image bytes, ``<key>.cls`` the class index), so other tools read them too, and
``<out>/shards.json``: the classes, and for every record its shard, byte offset and size, label,
source file, SHA-256 and header size. The index lets a reader seek straight to any record, so
each DDP rank reads only its own part of an epoch (batches.StreamedBatches) and nothing is
decoded ahead of use. The split is fixed when packing (the same seeded split as training on the
folder), and the records are shuffled across the shards then; unreadable files are left out, and
listed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from .dataset import DataError, Dataset
from .folder import format_from_probes, probe_notes, scan_folder
from .preprocess import ImageError, load_array, open_image

INDEX_FILE = "shards.json"
FORMAT = "image-shards/1"


@dataclass(frozen=True)
class Record:
    """One image in a shard: where its bytes are, its label, source file, hash and header."""

    shard: str
    offset: int
    size: int
    label: int
    path: str
    sha256: str
    width: int
    height: int
    mode: str


@dataclass
class ShardIndex:
    """The contents of a packed folder (``shards.json``)."""

    root: Path
    classes: list[str]
    records: dict[str, list[Record]]
    skipped_files: list[str] = field(default_factory=list)

    def sizes(self) -> dict[str, int]:
        return {split: len(rows) for split, rows in self.records.items()}

    def manifest(self) -> dict[str, list[list]]:
        """Per split, [source file, label, sha256] of every record (as split.json stores it)."""
        return {s: [[r.path, r.label, r.sha256] for r in rows] for s, rows in self.records.items()}

    def read(self, records: Sequence[Record]) -> list[bytes]:
        """The bytes of ``records``, in order (one open file per shard, a seek per record)."""
        handles: dict[str, io.BufferedReader] = {}
        try:
            out = []
            for record in records:
                if record.shard not in handles:
                    handles[record.shard] = (self.root / record.shard).open("rb")
                handle = handles[record.shard]
                handle.seek(record.offset)
                out.append(handle.read(record.size))
            return out
        finally:
            for handle in handles.values():
                handle.close()


def is_shards(path: str | Path) -> bool:
    return (Path(path) / INDEX_FILE).is_file()


def load_index(root: Path) -> ShardIndex:
    try:
        raw = json.loads((root / INDEX_FILE).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"cannot read {root / INDEX_FILE}: {exc}") from exc
    if raw.get("format") != FORMAT:
        raise DataError(f"{root / INDEX_FILE} is not an index of `pack` ({FORMAT})")
    records = {s: [Record(*row) for row in rows] for s, rows in raw["records"].items()}
    return ShardIndex(root, raw["classes"], records, raw.get("skipped_files", []))


def _check(root: Path, rel: str) -> tuple[bytes, tuple[int, int, str]] | None:
    """The bytes and header of a readable image (fully decoded once, to be sure), else None."""
    try:
        raw = (root / rel).read_bytes()
        image = open_image(raw)
        return raw, (*image.size, image.mode)
    except (OSError, ImageError):
        return None


def pack_folder(
    root: Path,
    out: Path,
    *,
    shard_size: int = 1000,
    val_fraction: float = 0.1,
    test_fraction: float = 0.1,
    seed: int = 0,
    progress: bool = True,
) -> ShardIndex:
    """Pack the image folder ``root`` into shards of ``shard_size`` images under ``out``."""
    if shard_size < 1:
        raise DataError("--shard-size must be at least 1")
    if out.exists() and any(out.iterdir()):
        raise DataError(f"{out} is not empty: pack into a new folder (nothing is overwritten)")
    classes, files = scan_folder(root, val_fraction, test_fraction, seed)
    out.mkdir(parents=True, exist_ok=True)
    records: dict[str, list[Record]] = {}
    skipped: list[str] = []
    total = sum(len(items) for items in files.values())
    with (
        ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool,
        tqdm(total=total, desc="pack", unit="img", disable=None if progress else True) as bar,
    ):
        for split, items in files.items():
            # shuffled once (seeded) so that every shard mixes the classes: the epochs then
            # shuffle the shard order and within shards only (folders list class by class)
            order = np.random.default_rng([seed, len(items)]).permutation(len(items))
            items = [items[i] for i in order]
            records[split] = []
            for start in range(0, len(items), shard_size):
                chunk = items[start : start + shard_size]
                name = f"{split}-{start // shard_size:06d}.tar"
                checked = list(pool.map(lambda item: _check(root, item[0]), chunk))
                bar.update(len(chunk))
                kept = [(item, c) for item, c in zip(chunk, checked, strict=True) if c]
                skipped += [rel for (rel, _), c in zip(chunk, checked, strict=True) if not c]
                records[split] += _write_shard(out, name, start, kept)
    index = ShardIndex(out, classes, records, skipped)
    payload = {
        "format": FORMAT,
        "classes": classes,
        "source": root.name,
        "records": {s: [list(vars(r).values()) for r in rows] for s, rows in records.items()},
        "skipped_files": skipped,
    }
    (out / INDEX_FILE).write_text(json.dumps(payload) + "\n", "utf-8")
    return index


def _write_shard(out: Path, name: str, first: int, kept: list) -> list[Record]:
    """Write one tar in the webdataset layout; return its records with their byte offsets."""
    with tarfile.open(out / name, "w", format=tarfile.USTAR_FORMAT) as tar:
        for n, ((rel, label), (raw, _)) in enumerate(kept):
            key = f"{first + n:08d}"
            for member, data in (
                (key + Path(rel).suffix.lower(), raw),
                (f"{key}.cls", b"%d" % label),
            ):
                info = tarfile.TarInfo(member)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    with tarfile.open(out / name) as tar:
        offsets = [m.offset_data for m in tar.getmembers() if not m.name.endswith(".cls")]
    return [
        Record(name, offset, len(raw), label, rel, hashlib.sha256(raw).hexdigest(), *header)
        for offset, ((rel, label), (raw, header)) in zip(offsets, kept, strict=True)
    ]


def load_shards(
    root: Path,
    *,
    image_size: int | None = None,
    channels: int | None = None,
    only: Sequence[str] = (),
    fit: str = "crop",
    limits: dict[str, int] | None = None,
) -> Dataset:
    """The packed data's classes, sizes and input format, with the splits in ``only`` decoded
    into memory (at most ``limits[split]`` records of one, evenly spaced). `train` streams its
    splits instead (batches.StreamedBatches) and decodes none here."""
    index = load_index(root)
    train = index.records.get("train", [])
    if not train:
        raise DataError(f"{root / INDEX_FILE} has no training records")
    probes = [(r.width, r.height, r.mode) for r in train[:: max(1, len(train) // 2000)]]
    auto_size, auto_channels, notes = format_from_probes(probes)
    size, chans = image_size or auto_size, channels or auto_channels
    notes += probe_notes(probes, size, fit)
    data = Dataset(
        index.classes, {}, size, chans, str(root), skipped=len(index.skipped_files),
        skipped_files=index.skipped_files, manifest=index.manifest(), notes=notes, index=index,
    )  # fmt: skip
    for split in only:
        records = index.records.get(split, [])
        limit = (limits or {}).get(split, len(records))
        if limit < len(records):
            records = [records[i] for i in np.linspace(0, len(records) - 1, limit).astype(int)]
        if not records:
            continue
        with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
            images = list(
                pool.map(lambda raw: load_array(raw, size, chans, fit), index.read(records))
            )
        labels = np.asarray([r.label for r in records], dtype=np.int64)
        data.splits[split] = np.stack(images), labels
        data.files[split] = [r.path for r in records]
    return data

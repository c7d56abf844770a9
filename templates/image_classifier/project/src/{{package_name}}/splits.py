"""The saved split: ``artifacts/split.json`` lists every file of train/val/test with its SHA-256.

`train` writes it; `evaluate`, `export` and later runs read exactly these files, so adding images
to the folder never moves a training image into the test split. Changes to the folder since
training (files added, removed or edited) are reported as warnings.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .dataset import Dataset
from .folder import Files, _class_files, split_folders
from .preprocess import IMAGE_SUFFIXES

SPLIT_FILE = "split.json"


def save_split(out_dir: Path | str, dataset: Dataset, data: str) -> Path:
    """Write the split of ``dataset`` (trained from ``data``, a display path) to split.json."""
    path = Path(out_dir) / SPLIT_FILE
    record: dict[str, Any] = {"data": data, "classes": dataset.classes}
    if dataset.manifest:
        record["files"] = dataset.manifest
        record["unreadable"] = dataset.skipped_files
    path.write_text(json.dumps(record, indent=1) + "\n", "utf-8")
    return path


def read_split(out_dir: Path | str) -> dict[str, Any] | None:
    path = Path(out_dir) / SPLIT_FILE
    return json.loads(path.read_text("utf-8")) if path.is_file() else None


def _current_files(root: Path) -> set[str]:
    given = split_folders(root)
    folders = list(given.values()) or [root]
    return {f for folder in folders for fs in _class_files(folder, root).values() for f in fs}


def saved_files(saved: dict[str, Any], root: Path) -> tuple[Files, list[str]]:
    """The saved split's files that still exist, and warnings about what changed since."""
    listed = {s: [(rel, label) for rel, label, _ in rows] for s, rows in saved["files"].items()}
    known = {rel for rows in listed.values() for rel, _ in rows} | set(saved.get("unreadable", []))
    current = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
    } & _current_files(root)
    warnings = []
    removed = {s: [r for r, _ in rows if r not in current] for s, rows in listed.items()}
    for split, gone in removed.items():
        if gone:
            warnings.append(
                f"{len(gone)} {split} file(s) of the saved split are gone (e.g. {gone[0]})"
            )
    added = sorted(current - known)
    if added:
        warnings.append(
            f"{len(added)} file(s) were added to the data folder since training (e.g. "
            f"{added[0]}); they are in no split: train again to use them"
        )
    present = {s: [(r, lab) for r, lab in rows if r in current] for s, rows in listed.items()}
    return present, warnings


def changed_files(saved: dict[str, Any], dataset: Dataset) -> list[str]:
    """Warnings for files whose content differs from the hash saved at training time."""
    warnings = []
    for split, rows in dataset.manifest.items():
        hashes = {rel: digest for rel, _, digest in saved["files"].get(split, [])}
        edited = [rel for rel, _, digest in rows if hashes.get(rel, digest) != digest]
        if edited:
            warnings.append(
                f"{len(edited)} {split} file(s) changed since training (e.g. {edited[0]})"
            )
    return warnings

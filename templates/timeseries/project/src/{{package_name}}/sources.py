"""The public data set: Taylor's half-hourly England & Wales electricity demand (June-Aug 2000).

Published with Taylor (2003) and bundled in the MIT-licensed ``pmdarima`` 2.1.1 source archive
on PyPI; ``download`` fetches that archive (SHA-256 as published by PyPI), reads the 4,032 values
from ``pmdarima/datasets/taylor.py`` as text (nothing is executed) and writes a CSV with
timestamps from the documented start, Monday 2000-06-05 00:00, every 30 minutes.
"""

from __future__ import annotations

import csv
import re
import tarfile
from pathlib import Path

from .download import DownloadError, fetch

TAYLOR_URL = (
    "https://files.pythonhosted.org/packages/e5/62/"
    "d70e2ec79b2c3576bcbd08367f4843ae7b7bc3ef760fda2f059e18f9daad/pmdarima-2.1.1.tar.gz"
)
TAYLOR_SHA256 = "b8d2a0c0cd3f7ec90825fa25a917b5f66073de58033511de015a9e76e4e3d8f7"
MEMBER = "pmdarima-2.1.1/pmdarima/datasets/taylor.py"
POINTS = 4032
START = "2000-06-05T00:00:00"
LICENCE = (
    "Taylor, J.W. (2003) Short-term electricity demand forecasting using double seasonal "
    "exponential smoothing, J. Operational Research Society 54, 799-805; data kindly provided "
    "by J. W. Taylor, distributed in pmdarima (MIT licence) and R forecast (GPL-3); no licence "
    "of its own: cite the paper, and check before commercial use"
)


def taylor_values(archive: Path) -> list[float]:
    """The demand values in the archive's ``taylor.py``, parsed as text."""
    with tarfile.open(archive) as tar:
        try:
            member = tar.extractfile(MEMBER)
        except KeyError:
            member = None
        if member is None:
            raise DownloadError(f"{archive} has no {MEMBER}")
        text = member.read().decode("utf-8")
    match = re.search(r"np\.array\(\[(.*?)\]", text, flags=re.S)
    if not match:
        raise DownloadError(f"{MEMBER} in {archive} does not hold the data array")
    values = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?", match.group(1))]
    if len(values) != POINTS:
        raise DownloadError(f"{MEMBER} holds {len(values)} values, expected {POINTS}")
    return values


def download_taylor(data_dir: Path, *, url: str = TAYLOR_URL, sha256: str = TAYLOR_SHA256) -> Path:
    """Fetch and verify the archive, then write ``data_dir/taylor_half_hourly.csv``."""
    import pandas as pd

    archive = fetch(url, data_dir / "pmdarima-2.1.1.tar.gz", sha256)
    values = taylor_values(archive)
    stamps = pd.date_range(START, periods=len(values), freq="30min")
    out = data_dir / "taylor_half_hourly.csv"
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["timestamp", "demand_mw"])
        writer.writerows(
            (t.strftime("%Y-%m-%dT%H:%M:%S"), v) for t, v in zip(stamps, values, strict=False)
        )
    return out

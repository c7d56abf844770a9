"""Getting the public data: a first download without a pinned digest, and pinning it."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

from .download import DownloadError


def download_unverified(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (via ``dest.part``) for trust on first use."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url} ({exc})") from exc
    part.replace(dest)


def pin_checksum(config: Path, digest: str) -> bool:
    """Record ``digest`` as data.sha256 in ``config``; False when that is not possible."""
    if not config.is_file():
        return False
    text = config.read_text("utf-8")
    new, count = re.subn(r'(?m)^(\s+sha256:)\s*"?[0-9a-fA-F]*"?\s*$', rf'\1 "{digest}"', text)
    if count != 1:
        return False
    config.write_text(new, "utf-8")
    return True

"""Download files with SHA-256 verification, a progress bar and safe archive extraction."""

from __future__ import annotations

import hashlib
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm


class DownloadError(RuntimeError):
    """A download failed, or the file on disk does not match its checksum."""


def sha256sum(path: Path, chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 digest of a file."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def fetch(url: str, dest: Path, sha256: str, *, timeout: float = 60.0) -> Path:
    """Download ``url`` to ``dest`` unless a file with the expected checksum is already there.

    The file is written to ``dest.part`` and moved into place only once its checksum matches,
    so an interrupted or corrupt download never looks like a good one.
    """
    if dest.is_file():
        if sha256sum(dest) == sha256:
            return dest
        raise DownloadError(
            f"{dest} exists but its SHA-256 does not match {sha256}; delete it to download again"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    digest = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, part.open("wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=dest.name) as bar:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"could not download {url} ({reason}); check your connection, "
            f"or put the file at {dest} yourself"
        ) from exc
    if digest.hexdigest() != sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"{url} is corrupt: SHA-256 {digest.hexdigest()}, expected {sha256}; try again later"
        )
    part.replace(dest)
    return dest


def extract(archive: Path, into: Path) -> Path:
    """Extract a .zip or .tar(.gz) archive, refusing members that would land outside ``into``."""
    into.mkdir(parents=True, exist_ok=True)
    root = into.resolve()
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if not (root / name).resolve().is_relative_to(root):
                    raise DownloadError(f"{archive} has an unsafe member: {name}")
            zf.extractall(root)
    elif tarfile.is_tarfile(archive):
        with tarfile.open(archive) as tf:
            tf.extractall(root, filter="data")
    else:
        raise DownloadError(f"{archive} is neither a zip nor a tar archive")
    return into

"""The registry of public datasets (public_data.py), without the network: a changed file inside a
package fails loudly, and the PNG writer writes images a decoder reads back."""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from . import public_data


@pytest.fixture
def wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cached 'wheel' of the package demo 1.0 holding data/x.csv."""
    monkeypatch.setattr(public_data, "CACHE", tmp_path)
    folder = tmp_path / "demo-1.0"
    folder.mkdir()
    path = folder / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo/data/x.csv", "a,b\n1,2\n")
    return path


def test_a_member_is_read_from_the_cached_archive_when_its_digest_matches(wheel: Path) -> None:
    digest = hashlib.sha256(b"a,b\n1,2\n").hexdigest()
    member = public_data.Member("demo", "1.0", "demo/data/x.csv", digest)
    assert public_data.read(member) == b"a,b\n1,2\n"


def test_a_changed_file_fails_loudly(wheel: Path) -> None:
    member = public_data.Member("demo", "1.0", "demo/data/x.csv", "0" * 64)
    with pytest.raises(AssertionError, match="the package changed"):
        public_data.read(member)


def test_png_holds_the_pixels_it_was_given() -> None:
    pixels = [[0, 255, 17], [34, 51, 68]]
    data = public_data.png(pixels)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (width, height, depth, colour) == (3, 2, 8, 0)
    start = data.index(b"IDAT") + 4
    (length,) = struct.unpack(">I", data[start - 8 : start - 4])
    raw = zlib.decompress(data[start : start + length])
    assert [list(raw[1:4]), list(raw[5:8])] == pixels  # each row after its filter byte (0)

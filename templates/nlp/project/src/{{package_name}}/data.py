"""Labelled texts from CSV, JSONL or Parquet: one label column (multi-class) or several 0/1 columns
(multi-label). Every record is accounted for by the shared ledger; a non-UTF-8 file is transcoded in
memory when its encoding is given or named by a byte-order mark (and what that changed is
reported), else refused with a one-line error asking for --encoding.
"""

from __future__ import annotations

import codecs
import contextlib
import dataclasses
import hashlib
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .ledger import DataError, Ledger
from .tables import read_table

SPLITS = dict(train="train", val="val", valid="val", validation="val", dev="val", test="test")
# C1 controls, the replacement character, and UTF-8 read as a single-byte code page ("Ã©").
MOJIBAKE = re.compile("[\x80-\x9f\ufffd]|â€|Ã[\xa0-\xbf\u0152-\u0192\u2013-\u2122]|Â[\xa0-\xbf]")
TRUE, FALSE = {"1", "1.0", "true", "yes"}, {"0", "0.0", "false", "no"}
BOMS = {  # UTF-32's little-endian mark starts with UTF-16's: look for it first
    codecs.BOM_UTF32_LE: "utf-32",
    codecs.BOM_UTF32_BE: "utf-32",
    codecs.BOM_UTF16_LE: "utf-16",
    codecs.BOM_UTF16_BE: "utf-16",
}


@dataclass
class TextData:
    """Texts with labels: ``y`` is (n,) class indices, or (n, labels) 0/1 when ``multilabel``."""

    texts: list[str]
    y: np.ndarray
    labels: list[str]
    multilabel: bool
    lines: np.ndarray
    split: np.ndarray | None = None  # the user's own split column ("train"/"val"/"test")
    ledger: Ledger | None = None
    source: str = ""
    notes: list[str] = field(default_factory=list)
    groups: np.ndarray | None = None  # the group column (a film, an author): one side of a split
    fingerprint: str = ""  # SHA-256 of the file's bytes

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray) -> TextData:
        def pick(values: np.ndarray | None) -> np.ndarray | None:
            return None if values is None else values[index]

        return dataclasses.replace(
            self,
            texts=[self.texts[i] for i in index],
            y=self.y[index],
            lines=self.lines[index],
            split=pick(self.split),
            groups=pick(self.groups),
        )

    def label_of(self, i: int) -> str:
        """Row ``i``'s label in words (multi-label: the positive labels joined by +)."""
        if self.multilabel:
            return "+".join(n for n, v in zip(self.labels, self.y[i], strict=True) if v) or "-"
        return self.labels[int(self.y[i])]

    def onehot(self) -> np.ndarray:
        """(n, labels) 0/1 targets for both kinds of task."""
        if self.multilabel:
            return self.y
        return np.eye(len(self.labels), dtype=np.int64)[self.y]


@contextlib.contextmanager
def utf8_view(path: Path, raw: bytes, encoding: str | None) -> Iterator[tuple[Path, str | None]]:
    """``path`` itself when it is UTF-8, else a UTF-8 copy in a temporary folder (never in the
    user's folder) with the encoding it was read as; errors name ``path``, not the copy."""
    with contextlib.suppress(LookupError):
        encoding = None if codecs.lookup(encoding or "utf-8").name == "utf-8" else encoding
    if encoding is None:
        try:
            raw.decode("utf-8")
            yield path, None
            return
        except UnicodeDecodeError:  # a byte-order mark names UTF-16/32; else ask, never guess
            encoding = next((name for bom, name in BOMS.items() if raw.startswith(bom)), None)
            if encoding is None:
                raise DataError(
                    f"{path} is not UTF-8 and has no byte-order mark: pass --encoding (e.g. "
                    "cp1252, latin-1)"
                ) from None
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"{path} cannot be read as {encoding}: {exc}") from None
    with tempfile.TemporaryDirectory(prefix="texts-") as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(text, "utf-8")
        try:
            yield copy, encoding
        except DataError as exc:
            raise DataError(str(exc).replace(str(copy), str(path))) from None


def encoding_notes(texts: list[str], lines: np.ndarray, encoding: str | None) -> list[str]:
    """What reading the file did to the texts: the encoding and how many texts it changed, and
    the texts that look damaged (control characters, mojibake)."""
    notes = []
    if encoding:
        changed = sum(not t.isascii() for t in texts)
        notes.append(
            f"read as {encoding} (not UTF-8) and transcoded: {changed} of {len(texts)} texts "
            "changed"
        )
    if bad := [i for i, t in enumerate(texts) if MOJIBAKE.search(t)]:
        notes.append(
            f"{len(bad)} texts contain control characters or mojibake markers (e.g. line "
            f"{int(lines[bad[0]])}: {texts[bad[0]][:60]!r}); check the encoding (--encoding)"
        )
    return notes


def load_texts(
    path: Path | str,
    *,
    text_column: str = "text",
    label_columns: list[str] | None = None,
    split_column: str | None = None,
    encoding: str | None = None,
    group_column: str | None = None,
) -> TextData:
    """Read labelled texts; rows with an empty text or an invalid label are rejected by reason."""
    path = Path(path)
    label_columns = label_columns or ["label"]
    multilabel = len(label_columns) > 1
    content = path.read_bytes() if path.is_file() else b""
    required = [text_column, *label_columns, *([group_column] if group_column else [])]
    optional = [split_column] if split_column else []
    if path.suffix.lower() in (".parquet", ".pq"):
        encoding = None
        frame, ledger = read_table(path, required=required, optional=optional)
    else:
        with utf8_view(path, content, encoding) as (readable, encoding):
            frame, ledger = read_table(readable, required=required, optional=optional)
    ledger.source = str(path)
    keep, targets, splits, groups = [], [], [], []
    for values in frame.to_dict("records"):
        line, text = int(values["_line"]), str(values[text_column] or "")
        if not text.strip():
            ledger.reject(line, "empty text")
            continue
        raw = [str(values[c] or "").strip() for c in label_columns]
        if multilabel:
            if any(v.lower() not in TRUE | FALSE for v in raw):
                ledger.reject(line, "label not 0/1")
                continue
            target: object = [int(v.lower() in TRUE) for v in raw]
        elif not raw[0]:
            ledger.reject(line, "empty label")
            continue
        else:
            target = raw[0]
        if split_column:
            name = SPLITS.get(str(values.get(split_column) or "").strip().lower())
            if name is None:
                ledger.reject(line, f"{split_column} not train/val/test")
                continue
            splits.append(name)
        keep.append((line, text))
        targets.append(target)
        if group_column:
            groups.append(str(values[group_column] or "").strip())
    if not keep:
        raise DataError(f"{path}: no usable rows ({ledger.summary()})")
    if multilabel:
        labels, y = list(label_columns), np.asarray(targets, dtype=np.int64)
    else:
        labels = sorted(set(targets))  # type: ignore[arg-type]
        if len(labels) < 2:
            raise DataError(f"{path}: column {label_columns[0]!r} has one class only: {labels}")
        index = {name: i for i, name in enumerate(labels)}
        y = np.asarray([index[t] for t in targets], dtype=np.int64)  # type: ignore[index]
    texts, lines = [t for _, t in keep], np.asarray([line for line, _ in keep])
    return TextData(
        texts=texts,
        y=y,
        labels=labels,
        multilabel=multilabel,
        lines=lines,
        ledger=ledger,
        source=str(path),
        split=np.asarray(splits) if split_column else None,
        notes=encoding_notes(texts, lines, encoding),
        groups=np.asarray(groups) if group_column else None,
        fingerprint=f"sha256:{hashlib.sha256(content).hexdigest()}",
    )

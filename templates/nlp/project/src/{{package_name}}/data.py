"""Labelled texts from CSV, JSONL or Parquet: one label column (multi-class) or several 0/1 columns
(multi-label). Every record is accounted for by the shared ledger; non-UTF-8 files are transcoded
when their encoding can be detected, or refused with a one-line error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .ledger import DataError, Ledger, read_table

SPLITS = {
    "train": "train",
    "val": "val",
    "valid": "val",
    "validation": "val",
    "dev": "val",
    "test": "test",
}
TRUE, FALSE = {"1", "1.0", "true", "yes"}, {"0", "0.0", "false", "no"}


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

    def __len__(self) -> int:
        return len(self.texts)

    def subset(self, index: np.ndarray) -> TextData:
        return TextData(
            [self.texts[i] for i in index],
            self.y[index],
            self.labels,
            self.multilabel,
            self.lines[index],
            None if self.split is None else self.split[index],
            self.ledger,
            self.source,
            self.notes,
        )

    def onehot(self) -> np.ndarray:
        """(n, labels) 0/1 targets for both kinds of task."""
        if self.multilabel:
            return self.y
        return np.eye(len(self.labels), dtype=np.int64)[self.y]


def utf8_copy(path: Path, encoding: str | None = None) -> tuple[Path, str | None]:
    """``path`` when it is UTF-8 (or Parquet); else a UTF-8 copy next to it and the encoding."""
    if path.suffix.lower() == ".parquet" or not path.is_file():
        return path, None
    raw = path.read_bytes()
    if encoding is None:
        try:
            raw.decode("utf-8")
            return path, None
        except UnicodeDecodeError:
            from charset_normalizer import from_bytes

            best = from_bytes(raw).best()
            if best is None:
                raise DataError(
                    f"{path} is not UTF-8 and its encoding could not be detected: "
                    "convert it to UTF-8 or pass --encoding"
                ) from None
            encoding = best.encoding
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise DataError(f"{path} cannot be read as {encoding}: {exc}") from None
    copy = path.with_name(f".{path.stem}.utf8{path.suffix}")
    copy.write_text(text, "utf-8")
    return copy, encoding


def load_texts(
    path: Path | str,
    *,
    text_column: str = "text",
    label_columns: list[str] | None = None,
    split_column: str | None = None,
    encoding: str | None = None,
) -> TextData:
    """Read labelled texts; rows with an empty text or an invalid label are rejected by reason."""
    path = Path(path)
    label_columns = label_columns or ["label"]
    multilabel = len(label_columns) > 1
    readable, detected = utf8_copy(path, encoding)
    optional = [split_column] if split_column else []
    frame, ledger = read_table(readable, required=[text_column, *label_columns], optional=optional)
    ledger.source = str(path)
    notes = [f"read as {detected} (not UTF-8), transcoded"] if detected else []
    keep, targets, splits = [], [], []
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
    return TextData(
        texts=[t for _, t in keep],
        y=y,
        labels=labels,
        multilabel=multilabel,
        lines=np.asarray([line for line, _ in keep]),
        ledger=ledger,
        source=str(path),
        split=np.asarray(splits) if split_column else None,
        notes=notes,
    )

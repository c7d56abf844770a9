"""Read tabular data so that no row is lost silently: read + rejected = records in the file.

``read_table`` reads CSV/TSV, JSONL and Parquet with every value as a string and returns the
rows with a ``Ledger`` (:mod:`.ledger`).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .ledger import DataError, Ledger

if TYPE_CHECKING:
    import pandas as pd

DELIMITERS = (",", "\t", ";", "|")
MAX_RECORD_LINES = 50  # physical lines one quoted record may span
NAMES = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DataError(
            f"{path}: line {line} is not UTF-8 text (byte 0x{raw[exc.start]:02x}); "
            "save the file as UTF-8"
        ) from None


def _physical_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank physical lines with their 1-based numbers (only \\n ends a line)."""
    lines = text.split("\n")
    return [(i, s.removesuffix("\r")) for i, s in enumerate(lines, 1) if s.strip()]


def _split(line: str, delimiter: str) -> list[str] | None:
    """The fields of one physical line, or None when its quoting is broken."""
    if '"' not in line:
        return line.split(delimiter)
    try:
        return next(csv.reader([line], delimiter=delimiter, strict=True))
    except (csv.Error, StopIteration):
        return None


def _records(
    body: Sequence[tuple[int, str]], delimiter: str, width: int
) -> Iterator[tuple[int, str, list[str] | None, int]]:
    """Logical records of ``body``: (first line, text, fields or None, physical lines spanned).

    A quoted field may hold line breaks (RFC 4180): a line whose quoting is left open is joined
    with the lines after it only when the joined text parses strictly into ``width`` fields
    (``_join``). Otherwise that line alone is a broken record and reading goes on with the next
    line, so one stray quote never swallows, or splits into made-up rows, the lines after it.
    """
    i = 0
    while i < len(body):
        number, line = body[i]
        fields, span = _split(line, delimiter), 1
        if fields is None and line.count('"') % 2 and (joined := _join(body, i, delimiter, width)):
            line, fields, span = joined
        yield number, line, fields, span
        i += span


def _join(
    body: Sequence[tuple[int, str]], start: int, delimiter: str, width: int
) -> tuple[str, list[str], int] | None:
    """The record that starts at ``body[start]`` and spans lines, if it is a well-formed one."""
    text = body[start][1]
    for j in range(start + 1, min(start + MAX_RECORD_LINES, len(body))):
        text += "\n" + body[j][1]
        if text.count('"') % 2 == 0:  # the quote closes on this line: the record ends here
            fields = _split(text, delimiter)
            ok = fields is not None and len(fields) == width
            return (text, fields, j - start + 1) if ok else None
    return None


def _sniff(header: str, body: Sequence[tuple[int, str]]) -> str:
    """The delimiter whose field count is largest in the header and most consistent below."""

    def score(delimiter: str) -> tuple[float, int]:
        width = len(_split(header, delimiter) or [])
        sample = [_split(line, delimiter) for _, line in body[:200]]
        same = sum(1 for fields in sample if fields is not None and len(fields) == width)
        return (same / len(sample) if sample else 1.0) if width > 1 else -1.0, width

    return max(DELIMITERS, key=score)


def _columns(path: Path, found: Sequence[str], required: Iterable[str]) -> None:
    for name in required:
        if name in found:
            continue
        lowered = {c.lower(): c for c in found}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        hint = f" (did you mean '{lowered[close[0]]}'?)" if close else ""
        raise DataError(
            f"{path}: no column '{name}'{hint}; columns found: {', '.join(found) or 'none'}"
        )


def _read_delimited(
    path: Path, text: str, required: list[str], optional: Sequence[str], delimiter: str | None
) -> tuple[pd.DataFrame, Ledger]:
    import pandas as pd

    lines = _physical_lines(text)
    if not lines:
        raise DataError(f"{path} is empty")
    (_, header), body = lines[0], lines[1:]
    if delimiter is None:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff(header, body)
    names = _split(header, delimiter)
    if names is None:
        raise DataError(f"{path}: line 1 (the header) has a stray quote")
    names = [n.strip() for n in names]
    wanted = [*required, *optional]
    if len(names) == 1 and len(wanted) > 1:
        name = NAMES.get(delimiter, repr(delimiter))
        raise DataError(
            f"{path}: found one column ({header[:60]!r}) with the {name} delimiter; is the file "
            "separated by another character? Pass the delimiter option"
        )
    if len(set(names)) != len(names):
        raise DataError(f"{path}: the header repeats a column name: {', '.join(names)}")
    _columns(path, names, required)
    if not body:
        raise DataError(f"{path} has a header but no data rows")
    ledger = Ledger(str(path), records=0)
    good: list[str] = [header]
    numbers: list[int] = []
    for number, line, fields, _spanned in _records(body, delimiter, len(names)):
        ledger.records += 1
        if fields is None:
            ledger._note(number, "unbalanced or stray quote")
        elif len(fields) != len(names):
            other = [NAMES[d] for d in DELIMITERS if d != delimiter and d in line]
            why = f" ({other[0]}-separated?)" if len(fields) == 1 and other else ""
            ledger._note(number, f"expected {len(names)} fields, found {len(fields)}{why}")
        else:
            good.append(line)
            numbers.append(number)
    keep = [n for n in names if n in wanted]
    frame = pd.read_csv(
        io.StringIO("\n".join(good)),
        sep=delimiter,
        header=0,
        names=names,
        usecols=keep,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        engine="c",
    )
    if len(frame) != len(numbers):
        raise DataError(f"{path}: parsed {len(frame)} rows from {len(numbers)} valid lines")
    frame["_line"] = numbers
    ledger.read = len(frame)
    return frame, ledger


def _text(value: object) -> str:
    """A JSON or Parquet value as text: strings as they are, nulls empty, numbers as written."""
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and value != value):
        return ""
    try:
        return json.dumps(value, ensure_ascii=False)
    except TypeError:
        return str(value)


def _read_jsonl(
    path: Path, text: str, required: list[str], optional: Sequence[str]
) -> tuple[pd.DataFrame, Ledger]:
    import pandas as pd

    lines = _physical_lines(text)
    if not lines:
        raise DataError(f"{path} is empty")
    ledger = Ledger(str(path), records=len(lines))
    rows, seen = [], set()
    for number, line in lines:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            ledger._note(number, "invalid JSON")
            continue
        if not isinstance(record, dict):
            ledger._note(number, "not a JSON object")
            continue
        seen.update(record)
        rows.append((number, record))
    found = sorted(seen)
    if seen:
        _columns(path, found, required)
    data: dict[str, list[Any]] = {name: [] for name in [*required, *optional] if name in seen}
    data["_line"] = []
    for number, record in rows:
        missing = [name for name in required if name not in record]
        if missing:
            ledger._note(number, f"missing field '{missing[0]}'")
            continue
        for name in data:
            data[name].append(number if name == "_line" else _text(record.get(name)))
    frame = pd.DataFrame(data)
    ledger.read = len(frame)
    return frame, ledger


def _read_parquet(
    path: Path, required: list[str], optional: Sequence[str]
) -> tuple[pd.DataFrame, Ledger]:
    import pandas as pd

    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError("reading Parquet needs pyarrow: pip install pyarrow") from None
    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:
        raise DataError(f"{path} is not a readable Parquet file ({exc})") from None
    records = parquet.metadata.num_rows
    names = parquet.schema_arrow.names
    _columns(path, names, required)
    if records == 0:
        raise DataError(f"{path} has columns but no rows")
    keep = [n for n in names if n in (*required, *optional)]
    frame = parquet.read(columns=keep).to_pandas()
    frame = pd.DataFrame({n: [_text(v) for v in frame[n].tolist()] for n in keep}, dtype=object)
    frame = frame if keep else pd.DataFrame(index=range(records))
    frame["_line"] = range(1, records + 1)
    return frame, Ledger(str(path), records=records, read=len(frame))


def read_table(
    path: str | Path,
    *,
    required: list[str],
    optional: Sequence[str] = (),
    delimiter: str | None = None,
) -> tuple[pd.DataFrame, Ledger]:
    """Read CSV/TSV (delimiter sniffed), JSONL or Parquet as strings, with a ``_line`` column.

    Raises DataError (one line) for a missing, empty, header-only or non-UTF-8 file, a wrong
    delimiter, or a missing column (suggesting the closest name).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        frame, ledger = _read_parquet(path, list(required), optional)
    else:
        raw = path.read_bytes()
        if not raw.strip():
            raise DataError(f"{path} is empty")
        text = _decode(path, raw)
        if suffix in (".jsonl", ".ndjson"):
            frame, ledger = _read_jsonl(path, text, list(required), optional)
        else:
            frame, ledger = _read_delimited(path, text, list(required), optional, delimiter)
    ledger.check()
    return frame, ledger

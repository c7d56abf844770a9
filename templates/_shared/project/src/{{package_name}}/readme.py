"""Write generated results into README.md between markers, so results are never typed by hand."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

START = "<!-- results:start -->"
END = "<!-- results:end -->"


def replace_results(text: str, markdown: str) -> str:
    """Return ``text`` with everything between the results markers replaced by ``markdown``."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no results section: add the lines {START} and {END}")
    return text[: start + len(START)] + "\n" + markdown.strip() + "\n" + text[end:]


def write_results(readme: Path, markdown: str) -> None:
    """Replace the results section of ``readme`` with ``markdown``."""
    readme.write_text(replace_results(readme.read_text(encoding="utf-8"), markdown), "utf-8")


def markdown_table(rows: Iterable[Mapping[str, object]], columns: Sequence[str]) -> str:
    """A Markdown table of ``rows``; floats are shown with four decimals."""

    def cell(value: object) -> str:
        return f"{value:.4f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |" for row in rows]
    return "\n".join(lines)

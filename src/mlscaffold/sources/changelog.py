"""A template's changelog: ``CHANGELOG.md`` at the top of the template (next to copier.yml), one
``## VERSION`` section per released version, newest first, whose first line is its summary.

The changelog of the newest version holds every earlier section too, so the changes between two
versions are read from the newer one. Built-in templates keep theirs in
``templates/<name>/CHANGELOG.md``; the release step copies it into the template's history and
turns its ``## Unreleased`` section into the new version's (``stamp``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .origin import Origin, OriginError, parse_version

FILE = "CHANGELOG.md"
UNRELEASED = "Unreleased"
_HEADING = re.compile(r"^## +(\S+)[^\n]*$", re.MULTILINE)


@dataclass(frozen=True)
class Entry:
    """One version's section: its version, one-line summary and full text (without heading)."""

    version: str
    summary: str
    text: str


def parse(text: str) -> list[Entry]:
    """The sections of a changelog, in the file's order (``Unreleased`` included)."""
    headings = list(_HEADING.finditer(text))
    entries = []
    for heading, after in zip(headings, [*headings[1:], None], strict=True):
        body = text[heading.end() : after.start() if after else len(text)].strip()
        summary = next((line.strip() for line in body.splitlines() if line.strip()), "")
        entries.append(Entry(heading.group(1), summary, body))
    return entries


def between(entries: list[Entry], after: str | None, upto: str | None) -> list[Entry]:
    """The released entries newer than ``after`` and not newer than ``upto`` (None: no bound),
    newest first; versions compare as PEP 440 versions, and sections named otherwise are left
    out."""
    low, high = (parse_version(v) if v else None for v in (after, upto))
    chosen = []
    for entry in entries:
        this = parse_version(entry.version)
        if this is None or (low and this <= low) or (high and this > high):
            continue
        chosen.append((this, entry))
    return [entry for _, entry in sorted(chosen, key=lambda pair: pair[0], reverse=True)]


def read(source: Origin, version: str) -> list[Entry] | None:
    """The changelog of ``source`` as version ``version`` has it; None when it has none."""
    try:
        text = source.file_text(version, FILE)
    except OriginError:
        return None
    return None if text is None else parse(text)


def pending(source: Origin, current: str, target: str) -> list[Entry] | None:
    """What changed from ``current`` to ``target`` (newest first); None without a changelog."""
    entries = read(source, target)
    return None if entries is None else between(entries, current, target)


def summary_lines(entries: list[Entry] | None, label: str) -> list[str]:
    """``VERSION  summary`` lines for ``check`` and ``update``, or a line saying there are none."""
    if entries is None:
        return [f"({label} has no {FILE}: no summary of its changes)"]
    width = max((len(e.version) for e in entries), default=0)
    return [f"{e.version:{width}}  {e.summary}" for e in entries]


def stamp(path: Path, version: str, summary: str | None = None) -> None:
    """Name the ``Unreleased`` section of changelog ``path`` after ``version`` (``summary`` fills
    it when empty); with no such section, add one for ``version`` holding ``summary``.
    ValueError when neither says what ``version`` changes."""
    text = path.read_text("utf-8") if path.is_file() else "# Changelog\n"
    unreleased = next((h for h in _HEADING.finditer(text) if h.group(1) == UNRELEASED), None)
    body = parse(text[unreleased.start() :])[0].text if unreleased else ""
    if not body and not summary:
        raise ValueError(
            f"{path} has no '## {UNRELEASED}' section saying what {version} changes; write one "
            "(its first line is the summary users see), or pass --summary TEXT"
        )
    fill = "" if body else f"\n\n{summary.strip()}\n" if summary else ""
    if unreleased is not None:
        text = text[: unreleased.start()] + f"## {version}{fill}" + text[unreleased.end() :]
    else:
        first = _HEADING.search(text)
        at = first.start() if first else len(text)
        text = text[:at].rstrip("\n") + f"\n\n## {version}{fill}\n" + text[at:]
    path.write_text(text.rstrip("\n") + "\n", "utf-8")


def has_unreleased(path: Path) -> bool:
    """Whether changelog ``path`` has a non-empty ``Unreleased`` section."""
    if not path.is_file():
        return False
    return any(e.version == UNRELEASED and e.text for e in parse(path.read_text("utf-8")))


def of_template(spec: str, version: str | None = None) -> tuple[Origin, str]:
    """The template ``spec`` names (as ``mlscaffold new`` takes it) and the version to read its
    changelog from: ``version``, else its newest release, else (no tags) "HEAD"."""
    from . import catalog, history

    source = catalog.resolve(spec, version)
    if source.builtin:
        name = source.builtin.name
        origin = Origin(history.recorded_source(name), name, trusted=True, builtin=name)
        return origin, source.version or source.builtin.version
    origin = Origin(source.src_path, source.name, trusted=False)
    if version:
        return origin, version
    try:
        return origin, origin.latest()
    except OriginError:
        return origin, "HEAD"

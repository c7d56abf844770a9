"""Where every record of a data file went: read, or rejected with a reason and its line.

Templates parse types themselves and ``ledger.reject(line, reason)`` the rows they drop;
``ledger.enforce`` stops training over a share of bad rows. ``tables.read_table`` makes one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SHOWN_LINES = 10


class DataError(ValueError):
    """A one-line, user-facing problem with input data (the CLI prints it as ``Error: ...``)."""


@dataclass
class Ledger:
    """Where every record of ``source`` went: ``read`` rows or ``rejected`` (reason -> lines)."""

    source: str
    records: int
    read: int = 0
    rejected: dict[str, list[int]] = field(default_factory=dict)
    _lines: set[int] = field(default_factory=set, repr=False, compare=False)

    def reject(self, line: int, reason: str) -> None:
        """Drop the row at ``line`` (1-based) that was read, for ``reason``."""
        if self._note(line, reason):
            self.read -= 1

    def _note(self, line: int, reason: str) -> bool:
        if line in self._lines:
            return False
        self._lines.add(line)
        self.rejected.setdefault(reason, []).append(line)
        return True

    @property
    def bad(self) -> int:
        """Rows rejected, all reasons together."""
        return sum(len(lines) for lines in self.rejected.values())

    def check(self) -> None:
        """Raise DataError unless read + rejected equals the raw record count."""
        if self.read + self.bad != self.records:
            raise DataError(
                f"{self.source}: {self.records} records in the file but {self.read} read and "
                f"{self.bad} rejected; a stray quote or a broken line may have swallowed rows"
            )

    def enforce(self, max_bad_share: float, hint: str) -> None:
        """Raise DataError when more than ``max_bad_share`` of the records were rejected."""
        self.check()
        if self.read == 0:
            raise DataError(f"{self.source}: no usable rows ({self.bad} rejected); {hint}")
        share = self.bad / self.records if self.records else 0.0
        if share > max_bad_share:
            raise DataError(
                f"{self.source}: {self.bad} of {self.records} records rejected ({share:.1%}), "
                f"over the limit of {max_bad_share:.1%}; {hint}"
            )

    def summary(self) -> str:
        """A short report: counts, then each reason with its first line numbers."""
        lines = [f"{self.source}: {self.records} records, {self.read} read, {self.bad} rejected"]
        for reason, numbers in sorted(self.rejected.items(), key=lambda kv: -len(kv[1])):
            shown = ", ".join(map(str, sorted(numbers)[:SHOWN_LINES]))
            more = f" and {len(numbers) - SHOWN_LINES} more" if len(numbers) > SHOWN_LINES else ""
            lines.append(f"  {reason}: {len(numbers)} (line {shown}{more})")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        """The counts and the first rejected lines per reason (for metrics.json, the model card)."""
        return {
            "source": self.source,
            "records": self.records,
            "read": self.read,
            "rejected": self.bad,
            "reasons": {
                reason: {"count": len(lines), "lines": sorted(lines)[:SHOWN_LINES]}
                for reason, lines in self.rejected.items()
            },
        }

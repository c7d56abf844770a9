"""Per-template timings of the end-to-end run, printed as one table at the end of the session."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest

KEY = "e2e_timing"
TIMINGS: dict[str, dict[str, float]] = {}  # case -> phase -> seconds (this process's runs)


class Timer:
    """Times the phases of one case; ``report`` attaches them to a test's report (xdist-safe)."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.phases = TIMINGS.setdefault(case, {})

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.phases[name] = self.phases.get(name, 0.0) + time.perf_counter() - start

    def report(self, item: pytest.Item) -> None:
        item.user_properties.append((KEY, (self.case, dict(self.phases))))


def collect(reports: Iterable[object]) -> dict[str, dict[str, float]]:
    """The timings in ``reports`` (from any xdist worker) merged with this process's own."""
    merged = {case: dict(phases) for case, phases in TIMINGS.items()}
    for report in reports:
        for key, value in getattr(report, "user_properties", ()):
            if key == KEY:
                case, phases = value
                merged.setdefault(case, {}).update(phases)
    return merged


def table(timings: dict[str, dict[str, float]]) -> str:
    """A fixed-width table: one row per case, one column per phase, and the total."""
    phases: list[str] = []
    for case_phases in timings.values():
        phases += [p for p in case_phases if p not in phases]
    header = ["case", *phases, "total"]
    rows = [
        [case, *(f"{t[p]:.1f}" if p in t else "-" for p in phases), f"{sum(t.values()):.1f}"]
        for case, t in sorted(timings.items())
    ]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [header, *rows]
    ]
    return "\n".join([lines[0], "-" * len(lines[0]), *lines[1:]])

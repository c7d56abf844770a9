"""End-to-end session hooks: the per-template timing table (seconds) after the run."""

from __future__ import annotations

import pytest

from .timing import collect, table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    reports = [r for stat in terminalreporter.stats.values() for r in stat]
    timings = collect(reports)
    if timings:
        terminalreporter.write_sep("=", "e2e timings per template (seconds)")
        terminalreporter.write_line(table(timings))

"""Time mlscaffold's commands against copier's, whole process, median of several runs.

    python benchmarks/bench_cli.py [--runs 7]

Targets (issue 2): `--help` and `list` at most 0.3x `copier --help`; `new --defaults` at most 1.2x
`copier copy --defaults` of the same template (it also validates, runs git init and commits).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mlscaffold.sources import history, release

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str], before: Callable[[], None] | None, runs: int, env: dict) -> float:
    """Median wall time of ``command`` in seconds; ``before`` runs (untimed) ahead of each run."""
    times = []
    for _ in range(runs):
        if before:
            before()
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlscaffold-bench-"))
    env = {**os.environ, "HOME": str(work / "home")}  # a clean HOME: no user config
    dest = work / "dest"

    def clean() -> None:
        shutil.rmtree(dest, ignore_errors=True)

    copier_help = timed(["copier", "--help"], None, args.runs, env)
    rows = [
        (
            "mlscaffold --help",
            timed(["mlscaffold", "--help"], None, args.runs, env),
            copier_help,
            0.3,
        ),
        ("mlscaffold list", timed(["mlscaffold", "list"], None, args.runs, env), copier_help, 0.3),
    ]
    for name in history.builtins():
        template_dir = release.assemble(REPO / "templates", name, work / f"tpl-{name}")
        mine = timed(["mlscaffold", "new", name, str(dest), "--defaults"], clean, args.runs, env)
        theirs = timed(
            ["copier", "copy", "--defaults", "--trust", str(template_dir), str(dest)],
            clean,
            args.runs,
            env,
        )
        rows.append((f"mlscaffold new {name} --defaults", mine, theirs, 1.2))
    print(f"median of {args.runs} runs, whole process")
    print(f"{'command':<42} {'mlscaffold':>10} {'copier':>8} {'ratio':>6} {'target':>7}")
    for label, mine, theirs, target in rows:
        ratio = mine / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        print(f"{label:<42} {mine:>9.3f}s {theirs:>7.3f}s {ratio:>6.2f} <={target:<4} {verdict}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

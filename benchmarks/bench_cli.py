"""Time mlscaffold's commands against copier's: whole processes, interleaved, medians, one run.

    python benchmarks/bench_cli.py [--runs 5] [--template NAME ...]

Targets (issues 2 and 22): `mlscaffold --help` and `list` at most 0.3x `copier --help`;
`mlscaffold new NAME DEST --defaults` at most 1.0x `copier copy --defaults --trust` of the same
template (the plain copy of NAME's newest version that mlscaffold renders, with the same answers:
the defaults), both without a lock file: `new` runs with `--no-lock`, since writing uv.lock is a
step copier does not take, and its time is the package index's (`uv lock`), not the render's.
Each pair of commands runs in turns (the order alternating between rounds) after one untimed
run of each, in a clean HOME, with bytecode caching on as after an install. Prints the
medians, their ratios and the load average, and exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mlscaffold.sources import history


@dataclass(frozen=True)
class Pair:
    """One comparison: mlscaffold's command against copier's, and the ratio it must stay under."""

    label: str
    mine: list[str]
    theirs: list[str]
    target: float


def run_once(command: list[str], env: dict[str, str], before: Callable[[], None]) -> float:
    """Wall time of one run of ``command`` in seconds; ``before`` runs (untimed) ahead of it."""
    before()
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    return time.perf_counter() - start


def interleaved(
    pair: Pair, runs: int, env: dict[str, str], before: Callable[[], None]
) -> tuple[float, float]:
    """Median wall times of both commands of ``pair``, run in turns after one warm-up run each."""
    times: dict[int, list[float]] = {0: [], 1: []}
    commands = (pair.mine, pair.theirs)
    for command in commands:
        run_once(command, env, before)
    for round_ in range(runs):
        order = (0, 1) if round_ % 2 == 0 else (1, 0)
        for side in order:
            times[side].append(run_once(commands[side], env, before))
    return statistics.median(times[0]), statistics.median(times[1])


def bench_env(work: Path) -> dict[str, str]:
    """The environment of the timed commands: a clean HOME (no user config or data), bytecode
    caching on (as after an install; PYTHONDONTWRITEBYTECODE would time Python's compiler)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["HOME"] = str(work / "home")
    return env


def template_folder(name: str, env: dict[str, str]) -> str:
    """The plain copy of built-in ``name``'s newest version that ``mlscaffold new`` renders."""
    code = (
        "import sys; from mlscaffold.sources import history as h; "
        "n = sys.argv[1]; print(h.checkout(n, h.builtins()[n].version))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, name], check=True, capture_output=True, text=True, env=env
    )
    return out.stdout.strip()


def _load(averages: tuple[float, float, float]) -> str:
    return " ".join(f"{value:.2f}" for value in averages)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--template", action="append", help="built-in template(s) to time (default: all)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlscaffold-bench-"))
    env = bench_env(work)
    dest = work / "dest"

    def clean() -> None:
        shutil.rmtree(dest, ignore_errors=True)

    pairs = [
        Pair("mlscaffold --help", ["mlscaffold", "--help"], ["copier", "--help"], 0.3),
        Pair("mlscaffold list", ["mlscaffold", "list"], ["copier", "--help"], 0.3),
    ]
    for name in args.template or list(history.builtins()):
        pairs.append(
            Pair(
                f"mlscaffold new {name} --defaults",
                ["mlscaffold", "new", name, str(dest), "--defaults", "--no-lock"],
                ["copier", "copy", "--defaults", "--trust", template_folder(name, env), str(dest)],
                1.0,
            )
        )
    load_before = os.getloadavg()
    rows = [(pair, *interleaved(pair, args.runs, env, clean)) for pair in pairs]
    load_after = os.getloadavg()
    shutil.rmtree(work, ignore_errors=True)

    print(f"median of {args.runs} interleaved runs each, whole process, {os.cpu_count()} CPUs")
    print(f"load average (1, 5, 15 min): before {_load(load_before)}, after {_load(load_after)}")
    print(f"{'command':<42} {'mlscaffold':>10} {'copier':>8} {'ratio':>6} {'target':>7}")
    missed = 0
    for pair, mine, theirs in rows:
        ratio = mine / theirs
        verdict = "ok" if ratio <= pair.target else "MISSED"
        missed += verdict == "MISSED"
        print(
            f"{pair.label:<42} {mine:>9.3f}s {theirs:>7.3f}s {ratio:>6.2f} "
            f"<={pair.target:<4} {verdict}"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Time ``check --all`` and ``update --all`` over 20 projects against 20 single runs.

A small git template (versions 1.0.0 and 1.1.0); 20 projects generated from 1.0.0, as a course
would hand them out (two answer sets: two tracks), each with a user edit. The fleet command runs
once over all of them; the single runs are 20 separate ``mlscaffold check P`` / ``update P``
processes, one after the other, as a script would do it. Each update starts from a fresh copy of
the fleet. Medians of several runs; target: fleet / single <= 0.5x.

    python benchmarks/bench_fleet.py [--runs 3] [--projects 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench_update import GITCONFIG, sh, skeleton  # the sibling script: python benchmarks/...

FILES, LINES = 20, 40


def release(template: Path, tag: str, env: dict) -> None:
    sh("git", "add", "-A", cwd=template, env=env)
    sh("git", "commit", "--quiet", "-m", tag, cwd=template, env=env)
    sh("git", "tag", tag, cwd=template, env=env)


def build(root: Path, count: int, env: dict) -> Path:
    """The template, and ``count`` projects on 1.0.0 with an edit each; then 1.1.0 released."""
    template = skeleton(root / "template", "course")
    for i in range(FILES):
        text = "".join(f"file{i} {n}\n" for n in range(LINES))
        (template / "project" / f"f{i:02}.txt.jinja").write_text(text + "{{ project_name }}\n")
    sh("git", "init", "--quiet", cwd=template, env=env)
    release(template, "1.0.0", env)
    fleet = root / "fleet"
    for n in range(count):
        project = fleet / f"student{n:02}"
        track = f"project_name=track{n % 2}"
        sh("mlscaffold", "new", template, project, "--defaults", "--data", track, env=env)
        (project / "notes.md").write_text(f"student {n}\n")
        sh("git", "add", "-A", cwd=project, env=env)
        sh("git", "commit", "--quiet", "-m", "my work", cwd=project, env=env)
    for i in range(0, FILES, 2):
        path = template / "project" / f"f{i:02}.txt.jinja"
        path.write_text(path.read_text().replace(f"file{i} 5\n", f"TEMPLATE file{i} 5\n"))
    release(template, "1.1.0", env)
    return fleet


def timed(commands: list[list[str]], env: dict) -> float:
    start = time.perf_counter()
    for command in commands:
        subprocess.run(command, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def fresh(fleet: Path, work: Path) -> Path:
    copy = work / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(fleet, copy, symlinks=True)
    return copy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--projects", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "home" / ".gitconfig").write_text(GITCONFIG)
        env = {**os.environ, "HOME": str(root / "home"), "GIT_CONFIG_NOSYSTEM": "1"}
        fleet = build(root, args.projects, env)
        times: dict[str, list[float]] = {}
        updated: dict[str, str] = {}
        for run in range(args.runs):
            for verb in ("check", "update"):
                extra = ["--defaults"] if verb == "update" else []
                for mode in sorted(("fleet", "single"), reverse=bool(run % 2)):
                    copy = fresh(fleet, root)
                    projects = sorted(copy.iterdir())
                    if mode == "fleet":
                        commands = [["mlscaffold", verb, "--all", str(copy), *extra]]
                    else:
                        commands = [["mlscaffold", verb, str(p), *extra] for p in projects]
                    times.setdefault(f"{verb} {mode}", []).append(timed(commands, env))
                    if verb == "update":  # every project got the template change
                        done = sum("TEMPLATE" in (p / "f00.txt").read_text() for p in projects)
                        updated[mode] = f"{done}/{len(projects)} updated"
        load = os.getloadavg()[0]
        for verb in ("check", "update"):
            fleet_s = statistics.median(times[f"{verb} fleet"])
            single_s = statistics.median(times[f"{verb} single"])
            singles = f"{args.projects} single runs: {single_s:6.2f} s"
            print(
                f"{verb:6}  --all: {fleet_s:6.2f} s   {singles}   ratio {fleet_s / single_s:.2f}x"
                f"  (target <= 0.5x; medians of {args.runs})"
            )
        print(f"update --all: {updated['fleet']}; single runs: {updated['single']}")
        print(f"load average (1 min): {load:.2f}")


if __name__ == "__main__":
    main()

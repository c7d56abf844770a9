"""Time ``mlscaffold update`` against ``copier update`` on the same project and template change.

A 30-file template gets a new version changing 10 files; the project generated from the old one
has user edits, three of which collide with the template change (conflicts). Each tool updates a
fresh copy of that project; whole process, median of several runs. Target: ratio <= 1.0.

    python benchmarks/bench_update.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

FILES, CHANGED, CONFLICTS, LINES = 30, 10, 3, 40
GITCONFIG = "[user]\n\tname = Bench\n\temail = bench@example.com\n[init]\n\tdefaultBranch = main\n"


def sh(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> None:
    subprocess.run([str(a) for a in args], cwd=cwd, env=env, check=True, capture_output=True)


def body(name: str, changed: set[int] = frozenset(), who: str = "") -> str:
    return "".join(f"{who} {name} {i}\n" if i in changed else f"{name} {i}\n" for i in range(LINES))


def skeleton(template: Path, default_name: str) -> Path:
    """A template folder with its copier.yml (one question, ``project_name``) and answers file."""
    (template / "project").mkdir(parents=True)
    (template / "copier.yml").write_text(
        "_subdirectory: project\n_answers_file: .copier-answers.yml\n_templates_suffix: .jinja\n"
        f"project_name:\n  type: str\n  default: {default_name}\n",
        "utf-8",
    )
    (template / "project" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}\n", "utf-8"
    )
    return template


def build(root: Path, env: dict) -> Path:
    """The template (versions 1.0.0 and 1.1.0) and a project on 1.0.0 with user edits."""
    template = skeleton(root / "template", "bench")
    for i in range(FILES):
        text = body(f"file{i}") + ("project = {{ project_name }}\n" if i % 3 == 0 else "")
        (template / "project" / f"f{i:02}.txt{'.jinja' if i % 3 == 0 else ''}").write_text(text)
    sh("git", "init", "--quiet", cwd=template, env=env)
    sh("git", "add", "-A", cwd=template, env=env)
    sh("git", "commit", "--quiet", "-m", "1.0.0", cwd=template, env=env)
    sh("git", "tag", "1.0.0", cwd=template, env=env)

    project = root / "project"
    sh("mlscaffold", "new", template, project, "--defaults", env=env)
    for i in range(0, 2 * CHANGED, 2):  # user edits: the first CONFLICTS collide with the template
        line = {5} if i < 2 * CONFLICTS else {30}
        path = project / f"f{i:02}.txt"
        text = path.read_text().replace(f"file{i} {min(line)}\n", f"USER file{i} {min(line)}\n")
        path.write_text(text)
    sh("git", "commit", "--quiet", "-am", "my edits", cwd=project, env=env)

    for i in range(0, 2 * CHANGED, 2):  # the template change: 10 files
        path = template / "project" / f"f{i:02}.txt{'.jinja' if i % 3 == 0 else ''}"
        path.write_text(path.read_text().replace(f"file{i} 5\n", f"TEMPLATE file{i} 5\n"))
    sh("git", "commit", "--quiet", "-am", "1.1.0", cwd=template, env=env)
    sh("git", "tag", "1.1.0", cwd=template, env=env)
    return project


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], project: Path, work: Path, env: dict) -> tuple[float, float, int]:
    """Wall and CPU seconds one update of a fresh copy takes, and the conflicted files it leaves."""
    copy = work / "copy"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(project, copy, symlinks=True)
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run([*command, str(copy)], cwd=copy, env=env, capture_output=True, check=False)
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    conflicted = sum("<<<<<<<" in p.read_text() for p in copy.glob("*.txt"))
    return elapsed, cpu, conflicted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        root = Path(tmp)
        (root / "home").mkdir()
        (root / "home" / ".gitconfig").write_text(GITCONFIG)
        env = {**os.environ, "HOME": str(root / "home"), "GIT_CONFIG_NOSYSTEM": "1"}
        project = build(root, env)
        tools = {
            "mlscaffold update": ["mlscaffold", "update", "--defaults"],
            "copier update": ["copier", "update", "--defaults", "--conflict", "inline"],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        cpu: dict[str, list[float]] = {name: [] for name in tools}
        conflicts = dict.fromkeys(tools, 0)
        for run in range(runs):  # interleaved, alternating who goes first, so load hits both
            for name in sorted(tools, reverse=bool(run % 2)):
                seconds, cpu_seconds, conflicts[name] = timed(tools[name], project, root, env)
                times[name].append(seconds)
                cpu[name].append(cpu_seconds)
        for name in tools:
            wall, used = statistics.median(times[name]), statistics.median(cpu[name])
            print(
                f"{name:18} {wall:.3f} s wall, {used:.3f} s CPU"
                f"  (medians of {runs}; {conflicts[name]} conflicted files)"
            )
        ratios = [
            m / c for m, c in zip(times["mlscaffold update"], times["copier update"], strict=True)
        ]
        ratio = statistics.median(ratios)
        print(f"ratio              {ratio:.2f}x  (median of the per-run ratios; target <= 1.0x)")


if __name__ == "__main__":
    main()

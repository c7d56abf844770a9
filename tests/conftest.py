"""Every test runs with its own HOME, config and data directories, so none touches the user's.

The e2e timing table is printed from here: under xdist only this initial conftest is loaded in
the controlling process, which writes the terminal summary."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlscaffold import gitutil
from mlscaffold.sources import history

from .e2e import images
from .e2e.timing import collect, table

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "templates"


def capability_questions(template: str) -> list[str]:
    """Template ``template``'s own yes/no questions: its optional capabilities (the shared
    questions are not, nor are hidden settings such as ``with_tables``, which are never asked)."""
    spec = yaml.safe_load((TEMPLATES / template / "copier.yml").read_text("utf-8")) or {}
    return [
        k
        for k, v in spec.items()
        if isinstance(v, dict) and v.get("type") == "bool" and v.get("when") is not False
    ]


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    # `new` writes no uv.lock (it contacts the package index): tests that lock turn it back on.
    monkeypatch.setenv("MLSCAFFOLD_LOCK", "0")
    history.builtins.cache_clear()
    gitutil.config.cache_clear()
    return home


def make_template(
    root: Path, files: dict[str, str], questions: str, tag: str | None = None
) -> Path:
    """A small copier template in ``root`` (a git repo with one tagged commit when ``tag``)."""
    from mlscaffold.gitutil import git

    (root / "copier.yml").parent.mkdir(parents=True, exist_ok=True)
    (root / "copier.yml").write_text("_subdirectory: project\n" + questions, "utf-8")
    for rel, text in files.items():
        path = root / "project" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    if tag:
        git("init", "--quiet", "--initial-branch", "main", cwd=root)
        git("add", "--all", cwd=root)
        git("-c", "user.name=t", "-c", "user.email=t@t.io", "commit", "-qm", tag, cwd=root)
        git("tag", tag, cwd=root)
    return root


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """After an e2e run, the per-template timing table (seconds)."""
    reports = [r for stat in terminalreporter.stats.values() for r in stat]
    if timings := collect(reports):
        terminalreporter.write_sep("=", "e2e timings per template (seconds)")
        terminalreporter.write_line(table(timings))
    if built := images.sizes(reports):
        terminalreporter.write_sep("=", "e2e images built (podman image inspect)")
        for name, size in sorted(built.items()):
            terminalreporter.write_line(f"{name:20s} {size:8.0f} MB")

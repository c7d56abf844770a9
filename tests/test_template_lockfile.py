"""Every template installs from the project's uv.lock (issue 24, contract v3 item 2), checked on
the templates as they are in templates/ (assembled, not the published versions): the image
installs only locked versions, the build context sends uv.lock, CI fails on a stale lock, and
the torch templates take torch from the CPU index. The e2e harness builds the images for real."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.sources import release

from .conftest import TEMPLATES

NAMES = release.template_names(TEMPLATES)
TORCH = {"image_classifier", "nlp"}  # default projects with torch (timeseries: deep_models only)
# the Dockerfile's EXTRAS build argument -> the options its `uv sync` gets
EXTRAS = {
    "": "",
    "[registry]": "--extra registry",
    "[registry,postgres]": "--extra registry --extra postgres",
    "[train, postgres]": "--extra train --extra postgres",
}


@pytest.fixture(scope="module", params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def project(name: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template from templates/, generated with its defaults (no lock: see test_lockfile)."""
    root = tmp_path_factory.mktemp(name)
    template = release.assemble(TEMPLATES, name, root / "template")
    dest = root / "demo"
    args = ["new", str(template), str(dest), "--defaults", "--trust", "--no-lock"]
    result = CliRunner().invoke(cli, [*args, "-d", "package_name=demo_pkg"])
    assert result.exit_code == 0, result.output
    return dest


def run_lines(project: Path) -> list[str]:
    """The Dockerfile's RUN commands, continuation lines joined, `--mount=...` options dropped."""
    text = (project / "Dockerfile").read_text("utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        if line.startswith("RUN "):
            words = line.removeprefix("RUN ").split(" ")
            found.append(" ".join(w for w in words if not w.startswith("--mount=")).strip())
    return found


def test_the_image_installs_only_locked_versions(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text("utf-8")
    assert "COPY pyproject.toml uv.lock ./" in dockerfile
    runs = run_lines(project)
    syncs = [run for run in runs if "uv sync" in run]
    assert syncs and all("--frozen" in run and "--no-dev" in run for run in syncs)
    installs = [run for run in runs if "pip install" in run]
    assert all("uv pip install" in run and "--no-deps" in run for run in installs), installs
    assert "UV_PROJECT_ENVIRONMENT=/opt/venv" in dockerfile


def test_extras_reach_uv_sync_as_extra_options(project: Path, tmp_path: Path) -> None:
    """EXTRAS="[a,b]" (as docker-compose passes it) becomes `--extra a --extra b`."""
    sync = next(run for run in run_lines(project) if "uv sync" in run)
    fake = tmp_path / "bin" / "uv"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\necho "$@"\n')
    fake.chmod(0o755)
    env = {"PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}"}
    for extras, expected in EXTRAS.items():
        result = subprocess.run(["sh", "-c", sync], env=env | {"EXTRAS": extras},
                                capture_output=True, text=True, check=True)  # fmt: skip
        extra_options = result.stdout.split("--no-install-project", 1)[1].split()
        assert extra_options == expected.split(), (extras, result.stdout)


def test_the_build_context_sends_the_lock(project: Path) -> None:
    patterns = [
        line.strip()
        for line in (project / ".dockerignore").read_text("utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    assert not [p for p in patterns if fnmatch.fnmatch("uv.lock", p)], patterns


def test_ci_installs_from_the_lock_and_fails_on_a_stale_one(project: Path) -> None:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text("utf-8"))
    test_steps = workflow["jobs"]["test"]["steps"]
    runs = [str(step.get("run", "")) for step in test_steps]
    assert "uv sync --locked --extra dev" in runs
    assert not any("pip install" in run for run in runs)
    assert any(str(step.get("uses", "")).startswith("astral-sh/setup-uv") for step in test_steps)
    commands = [line.strip() for run in runs for line in run.splitlines() if line.strip()]
    tools = [c for c in commands if c.split()[0] in ("ruff", "hadolint", "pytest")]
    assert not tools, f"run outside the locked environment: {tools}"


def test_torch_comes_from_the_cpu_index(name: str, project: Path) -> None:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))
    uv = pyproject.get("tool", {}).get("uv", {})
    if name not in TORCH:
        assert "index" not in uv and "sources" not in uv
        return
    copier = yaml.safe_load((TEMPLATES / name / "copier.yml").read_text("utf-8"))
    assert uv["index"] == [
        {"name": "pytorch-cpu", "url": copier["torch_index_url"]["default"], "explicit": True}
    ]
    assert uv["sources"] == {"torch": [{"index": "pytorch-cpu"}]}
    assert not any("torch" in dep for dep in pyproject["project"]["dependencies"])

"""The template test harness: every built-in template, generated with two answer sets, must install
in a fresh virtual environment and pass its own tests, ruff and hadolint. Slow: run with -m e2e."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli

pytestmark = pytest.mark.e2e

COMMON = {
    "project_name": "Acme.Lab-2",
    "package_name": "acme_lab",
    "python_version": "3.13",
    "license": "Apache-2.0",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
}
ANSWER_SETS = {
    "image_classifier": {**COMMON, "dataset": "folder"},
    "recommender": {**COMMON, "dataset": "csv"},
    "mlops": {**COMMON, "challenger_share": "0.25"},
    "timeseries": {**COMMON, "dataset": "csv"},
}
NEEDS_TORCH = {"image_classifier", "timeseries"}
REAL_HOME = Path.home()  # read before the tests' isolated HOME: package caches stay warm
CASES = [(name, variant) for name in ANSWER_SETS for variant in ("defaults", "custom")]


def sh(*args: str | Path, cwd: Path, timeout: int = 900) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.setdefault("UV_CACHE_DIR", str(REAL_HOME / ".cache" / "uv"))
    env.setdefault("PIP_CACHE_DIR", str(REAL_HOME / ".cache" / "pip"))
    if shutil.which("prometheus"):  # the mlops template's opt-in integration test needs it
        env["RUN_INTEGRATION"] = "1"
    env["PATH"] = f"{cwd / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{output}"
    return output


def install(project: Path, with_torch: bool) -> None:
    """Install the project and its dev extra into project/.venv (uv when present, else pip)."""
    sh(sys.executable, "-m", "venv", ".venv", cwd=project)
    python = project / ".venv" / "bin" / "python"
    if with_torch:  # the CPU wheel; pip's configuration knows where it is
        sh(python, "-m", "pip", "install", "-q", "torch==2.13.0", cwd=project)
    if uv := shutil.which("uv"):
        sh(uv, "pip", "install", "-q", "--python", python, "-e", ".[dev]", cwd=project)
    else:
        sh(python, "-m", "pip", "install", "-q", "-e", ".[dev]", cwd=project)


@pytest.mark.parametrize(("template", "variant"), CASES, ids=[f"{t}-{v}" for t, v in CASES])
def test_generated_project_installs_lints_and_passes_its_tests(
    template: str, variant: str, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    args = ["new", template, str(project), "--defaults"]
    if variant == "custom":
        for key, value in ANSWER_SETS[template].items():
            args += ["--data", f"{key}={value}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    install(project, with_torch=template in NEEDS_TORCH)
    sh("ruff", "check", ".", cwd=project)
    sh("ruff", "format", "--check", ".", cwd=project)
    sh("hadolint", "Dockerfile", cwd=project)
    output = sh("pytest", "-q", "-rs", "-p", "no:cacheprovider", cwd=project, timeout=600)
    assert " passed" in output and " failed" not in output
    if shutil.which("prometheus"):
        assert "RUN_INTEGRATION" not in output  # the integration test ran, not skipped

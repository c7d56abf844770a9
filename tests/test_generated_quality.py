"""Every built-in template, rendered from the working tree, gives a project that passes its own
ruff config with the default answers and with a long project name (so its CI is green on the
first push)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.sources import release

from .conftest import TEMPLATES

NAMES = release.template_names(TEMPLATES)
VARIANTS = ("defaults", "long-name")


def render(name: str, variant: str, root: Path) -> Path:
    """Template ``name`` as it is in this checkout, rendered into ``root/project``."""
    import copier

    source = release.assemble(TEMPLATES, name, root / "template")
    data = {"project_name": f"e2e-{name}-portfolio-project"} if variant == "long-name" else {}
    project = root / "project"
    copier.run_copy(str(source), str(project), data=data, defaults=True, quiet=True)
    return project


@pytest.fixture(scope="module", params=[(n, v) for n in NAMES for v in VARIANTS], ids=str)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, variant = request.param
    return render(name, variant, tmp_path_factory.mktemp(f"{name}-{variant}"))


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_project_passes_its_own_ruff_check(project: Path) -> None:
    result = ruff("check", "--output-format", "concise", ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_project_passes_its_own_ruff_format_check(project: Path) -> None:
    result = ruff("format", "--check", ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr

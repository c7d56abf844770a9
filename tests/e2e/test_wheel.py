"""The built wheel installs on a fresh virtual environment and works from there (slow: -m e2e)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from ..conftest import REPO

pytestmark = pytest.mark.e2e


def run(*args: str | Path, cwd: Path) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_wheel_ships_template_histories_and_runs(tmp_path: Path) -> None:
    run(sys.executable, "-m", "build", "--wheel", "--outdir", tmp_path / "dist", REPO, cwd=REPO)
    wheel = next((tmp_path / "dist").glob("mlscaffold_cli-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for template in ("image_classifier", "recommender", "mlops"):
        assert f"mlscaffold/histories/{template}.bundle" in names
    assert "mlscaffold/histories/index.json" in names

    run(sys.executable, "-m", "venv", tmp_path / "venv", cwd=tmp_path)
    bin_dir = tmp_path / "venv" / "bin"
    run(bin_dir / "python", "-m", "pip", "install", "-q", wheel, cwd=tmp_path)
    assert "recommender" in run(bin_dir / "mlscaffold", "list", cwd=tmp_path)
    run(bin_dir / "mlscaffold", "new", "recommender", "recs", "--defaults", cwd=tmp_path)
    answers = (tmp_path / "recs" / ".copier-answers.yml").read_text()
    assert "_src_path: ~/.local/share/mlscaffold/templates/recommender.bundle" in answers
    assert "site-packages" not in answers

"""README.md's set-up commands, exactly as written there, on a fresh clone of this repository
with a fresh HOME: each install variant, then `mlscaffold new`; and the contributor's checkout
line, which must generate outside the checkout. Only the repository URL (there is none yet) is
replaced, by this repository's folder; the clone has what is committed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from mlscaffold import __version__

from .. import readme_setup
from ..conftest import REPO
from .helpers import REAL_HOME

pytestmark = pytest.mark.e2e
SETUP = readme_setup.read()


def _env(home: Path) -> dict[str, str]:
    """A new user's environment: a fresh HOME whose ~/.local/bin is on PATH, and no trace of the
    virtual environment the tests run in (package caches stay warm)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTHON", "VIRTUAL_ENV", "XDG_", "UV_", "PIPX_"))
    }
    venv = os.environ.get("VIRTUAL_ENV")
    paths = [p for p in env["PATH"].split(os.pathsep) if not venv or not p.startswith(venv)]
    tools = {shutil.which(t) for t in ("uv", "pipx", "python3")} - {None}
    extra = sorted({str(Path(t).parent) for t in tools})  # uv/pipx may live in the test venv only
    env["PATH"] = os.pathsep.join([str(home / ".local/bin"), *paths, *extra])
    env.update(
        HOME=str(home),
        UV_CACHE_DIR=str(REAL_HOME / ".cache/uv"),
        PIP_CACHE_DIR=str(REAL_HOME / ".cache/pip"),
        GIT_CONFIG_GLOBAL=str(home / ".gitconfig"),
    )
    (home / ".gitconfig").write_text("[user]\n\tname = New User\n\temail = new@example.com\n")
    return env


def _run(command: str, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert result.returncode == 0, f"{command}\n{(result.stdout + result.stderr)[-4000:]}"
    return result.stdout


def _clone(where: Path, env: dict[str, str]) -> Path:
    where.mkdir(parents=True)
    _run(SETUP.clone.replace(readme_setup.URL_PLACEHOLDER, str(REPO)), where, env)
    return where / "mlscaffold"


@pytest.mark.parametrize("kind", ["uv", "pipx", "venv"])
def test_the_readme_install_and_main_job_work_on_a_fresh_clone(kind: str, tmp_path: Path) -> None:
    install, main = SETUP.installs[kind]
    tool = install.split()[0] if kind != "venv" else "python3"
    if not shutil.which(tool):
        pytest.skip(f"{tool} is not installed here (.ci/run installs it)")
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    work = _clone(tmp_path / "work", env).parent
    _run(install, work, env)
    where = _run("command -v mlscaffold", work, env).strip()
    assert Path(where).is_relative_to(home), where  # the new install, not the test's own
    assert _run("mlscaffold --version", work, env).split()[-1] == __version__
    _run(main, work, env)
    project = work / "my-recs"
    assert (project / ".copier-answers.yml").is_file()
    assert _run("git log --oneline", project, env).count("\n") == 1


def test_the_checkout_line_generates_outside_the_checkout(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = _env(home)
    checkout = _clone(tmp_path / "work", env)
    _run(SETUP.checkout, checkout, env)
    assert (checkout.parent / "my-recs" / ".copier-answers.yml").is_file()
    assert _run("git status --porcelain --ignored=no", checkout, env).strip() == ""

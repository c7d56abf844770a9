"""Helpers the end-to-end tests share: run a command in a generated project, install a project."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REAL_HOME = Path.home()  # read before the tests' isolated HOME: package caches stay warm


def project_env(cwd: Path) -> dict[str, str]:
    """The environment commands in ``cwd`` run with: its .venv first on PATH, shared caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.pop("MLFLOW_TRACKING_URI", None)
    env.setdefault("UV_CACHE_DIR", str(REAL_HOME / ".cache" / "uv"))
    env.setdefault("PIP_CACHE_DIR", str(REAL_HOME / ".cache" / "pip"))
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if shutil.which("prometheus"):  # the mlops template's opt-in integration test needs it
        env["RUN_INTEGRATION"] = "1"
    env["PATH"] = f"{cwd / '.venv' / 'bin'}{os.pathsep}{env['PATH']}"
    return env


def sh(*args: str | Path, cwd: Path, timeout: int = 900, env: dict[str, str] | None = None) -> str:
    """Run ``args`` in ``cwd`` (see ``project_env``); fail the test with the output's tail."""
    run_env = project_env(cwd) | (env or {})
    try:
        result = subprocess.run(
            [str(a) for a in args],
            cwd=cwd,
            env=run_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        out = ((exc.stdout or b"") + (exc.stderr or b"")).decode(errors="replace")[-6000:]
        raise AssertionError(f"{' '.join(map(str, args))} ran over {timeout} s:\n{out}") from None
    output = (result.stdout + result.stderr)[-6000:]
    assert result.returncode == 0, f"{' '.join(map(str, args))} failed:\n{output}"
    return output


def install(project: Path, with_torch: bool, extras: str = "dev") -> None:
    """Install the project with ``extras`` into project/.venv (uv when present, else pip)."""
    sh(sys.executable, "-m", "venv", ".venv", cwd=project)
    python = project / ".venv" / "bin" / "python"
    if with_torch:  # the CPU wheel; pip's configuration knows where it is
        sh(python, "-m", "pip", "install", "-q", "torch==2.13.0", cwd=project)
    env = {}  # uv reads the pyproject's pytorch-cpu index, unreachable here: a local one instead
    if with_torch and (index := local_torch_index(project.parent / "torch-index")):
        env["UV_INDEX"] = f"pytorch-cpu={index}"
    if uv := shutil.which("uv"):
        args = ("pip", "install", "-q", "--python", python, "-e", f".[{extras}]")
        sh(uv, *args, cwd=project, env=env)
    else:
        sh(python, "-m", "pip", "install", "-q", "-e", f".[{extras}]", cwd=project)


def needs_torch(project: Path) -> bool:
    """Whether the project depends on torch anywhere (then the CPU wheel goes in first)."""
    import re
    import tomllib

    meta = tomllib.loads((project / "pyproject.toml").read_text("utf-8"))["project"]
    deps = list(meta.get("dependencies", []))
    for extra in meta.get("optional-dependencies", {}).values():
        deps += extra
    return any(re.match(r"torch\b(?![-_.\w])", dep.strip().lower()) for dep in deps)


def local_torch_index(folder: Path) -> str | None:
    """A PEP 503 index in ``folder`` holding the CPU torch wheels of pip's find-links folders
    (PIP_FIND_LINKS), as a file:// URL; None when there are none. The torch templates lock torch
    from download.pytorch.org, which the test machines cannot reach: ``UV_INDEX=pytorch-cpu=URL``
    points their ``pytorch-cpu`` index here instead."""
    import hashlib

    page = folder / "torch" / "index.html"
    if page.is_file():  # made already for this project (generating it, then installing it)
        return folder.resolve().as_uri()
    links = os.environ.get("PIP_FIND_LINKS", "").split()
    wheels = sorted(w for link in links for w in Path(link).glob("torch-*+cpu-*.whl"))
    if not wheels:
        return None
    anchors = []
    for wheel in wheels:
        digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
        anchors.append(f'<a href="{wheel.as_uri()}#sha256={digest}">{wheel.name}</a>')
    page.parent.mkdir(parents=True, exist_ok=True)
    page.write_text("<html><body>\n" + "\n".join(anchors) + "\n</body></html>\n", "utf-8")
    return folder.resolve().as_uri()


@contextmanager
def user_home(root: Path) -> Iterator[pytest.MonkeyPatch]:
    """A user's setting for `mlscaffold new`: HOME in ``root`` (mlscaffold's data dir stays out of
    the real HOME), the project's uv.lock made (contract v3), the real uv cache and the local
    torch index."""
    from mlscaffold import gitutil

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(root / "home"))
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GIT_CONFIG_GLOBAL"):
            mp.delenv(var, raising=False)
        gitutil.config.cache_clear()
        mp.setenv("MLSCAFFOLD_LOCK", "1")
        mp.setenv("UV_CACHE_DIR", str(REAL_HOME / ".cache" / "uv"))
        if index := local_torch_index(root / "torch-index"):
            mp.setenv("UV_INDEX", f"pytorch-cpu={index}")
        yield mp

"""copierrun.copy: copier's copy without one git run per file outside a git repository, and with
copier's executable-bit sync into the index inside one. Each render runs in a fresh interpreter
with a logging ``git`` first on PATH."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from mlscaffold.gitutil import git

from .conftest import make_template

FILES = {f"file{n}.txt.jinja": "{{ name }}\n" for n in range(12)} | {"run.sh": "#!/bin/sh\n"}


COPIERRUN = "from mlscaffold.generate import copierrun; copy = copierrun.copy"
COPIER = "import copier; copy = copier.run_copy"


def _copy(tmp_path: Path, dest: Path, how: str = COPIERRUN) -> list[str]:
    """Render a 13-file template into ``dest`` (``how``: with which ``copy``); the git commands
    run meanwhile."""
    template = make_template(tmp_path / "tpl", FILES, "name:\n  default: demo\n")
    (template / "project" / "run.sh").chmod(0o755)
    bin_dir, log = tmp_path / "bin", tmp_path / "git.log"
    bin_dir.mkdir()
    real = shutil.which("git")
    (bin_dir / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n', "utf-8")
    (bin_dir / "git").chmod(0o755)
    code = (
        f"import sys; from pathlib import Path; {how}\n"
        "copy(sys.argv[1], Path(sys.argv[2]), defaults=True, quiet=True, overwrite=True)"
    )
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run([sys.executable, "-c", code, str(template), str(dest)], env=env, check=True)
    assert (dest / "file11.txt").read_text("utf-8") == "demo\n"
    return log.read_text("utf-8").splitlines() if log.is_file() else []


def test_outside_a_repository_git_runs_once_per_render_not_per_file(tmp_path: Path) -> None:
    runs = _copy(tmp_path, tmp_path / "out" / "dest")
    assert not [run for run in runs if "core.fileMode" in run]
    assert len(runs) < 5, runs  # finding the template and the destination's repository


def _repository(root: Path) -> Path:
    """A repository with core.fileMode false that tracks ``dest/run.sh`` (not executable)."""
    git("init", "--quiet", str(root))
    git("config", "core.fileMode", "false", cwd=root)
    (root / "dest").mkdir()
    (root / "dest" / "run.sh").write_text("old\n", "utf-8")
    git("add", "dest/run.sh", cwd=root)
    return root


def test_inside_a_repository_copier_syncs_the_index_as_always(tmp_path: Path) -> None:
    """The same index syncing git runs, and the same index, as copier's own run_copy."""
    mine, theirs = _repository(tmp_path / "a" / "repo"), _repository(tmp_path / "b" / "repo")

    def syncing(runs: list[str]) -> list[str]:
        return [run for run in runs if run.startswith(("config", "ls-files", "update-index"))]

    runs = syncing(_copy(tmp_path / "a", mine / "dest"))
    assert len([run for run in runs if "core.fileMode" in run]) == len(FILES)
    assert runs == syncing(_copy(tmp_path / "b", theirs / "dest", how=COPIER))
    assert git("ls-files", "--stage", cwd=mine) == git("ls-files", "--stage", cwd=theirs)

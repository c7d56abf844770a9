"""Helpers for the trust tests: malicious templates built on the spot, and tree fingerprints."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import yaml

from mlscaffold.gitutil import git

from .updatekit import ANSWERS_JINJA, SETTINGS

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}


def evil_template(
    root: Path,
    files: dict[str, str],
    *,
    executable: tuple[str, ...] = (),
    symlinks: dict[str, str] | None = None,
    settings: dict | None = None,
    tag: str = "0.1.0",
) -> Path:
    """A copier template in ``root`` (a git repository tagged ``tag``) rendering ``files`` (paths
    under ``project/``, templated names allowed) and ``symlinks`` (name -> target)."""
    project = root / "project"
    project.mkdir(parents=True)
    files = {"{{_copier_conf.answers_file}}.jinja": ANSWERS_JINJA, "README.md": "# hi\n", **files}
    for name, text in files.items():
        path = project / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
        if name in executable:
            path.chmod(0o755)
    for name, target in (symlinks or {}).items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, project / name)
    copier_yml = {**SETTINGS, **(settings or {}), **QUESTIONS}
    (root / "copier.yml").write_text(yaml.safe_dump(copier_yml, sort_keys=False), "utf-8")
    git("init", "--quiet", cwd=root)
    git("add", "--all", cwd=root)
    git("commit", "--quiet", "-m", f"template {tag}", cwd=root)
    git("tag", tag, cwd=root)
    return root


def fingerprint(root: Path) -> dict[str, str]:
    """Every path under ``root`` (files, folders, symlinks) with its content hash, mode or target:
    equal fingerprints mean byte-identical trees."""
    prints: dict[str, str] = {}
    if not root.exists():
        return prints
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                prints[rel] = "-> " + os.readlink(path)
            elif path.is_dir():
                prints[rel] = "dir"
            else:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                prints[rel] = f"{oct(path.stat().st_mode)} {digest}"
    return prints


def one_line_error(output: str) -> str:
    """The single ``Error: ...`` line of a failed command (asserting there is exactly one line and
    no traceback)."""
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), output
    return lines[0]


def hold_update_lock(lock: Path) -> subprocess.Popen:
    """A process holding mlscaffold's update lock at ``lock`` (an flock) until it is killed."""
    code = (
        "import fcntl, os, sys, time\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "os.write(fd, f'{os.getpid()} host\\n'.encode())\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder

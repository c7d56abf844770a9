"""Helpers for the update tests: isolated user dirs, small git templates, the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from mlscaffold.cli import cli
from mlscaffold.gitutil import git

SETTINGS = {
    "_subdirectory": "project",
    "_answers_file": ".copier-answers.yml",
    "_templates_suffix": ".jinja",
}
ANSWERS_JINJA = "{{ _copier_answers|to_nice_yaml -}}\n"


def isolate(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME (and so the config, data and git config) at ``home``, a fresh folder."""
    home.mkdir(parents=True, exist_ok=True)
    monkeypatch.setenv("HOME", str(home))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "GIT_CONFIG_GLOBAL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Test User\n\temail = test@example.com\n"
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n",
        "utf-8",
    )
    return home


def cli_run(*args: str | Path) -> Result:
    """Run ``mlscaffold *args`` in-process."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write(root: Path, files: dict[str, str | None]) -> None:
    """Write ``files`` (relative path -> text) under ``root``; None deletes the file."""
    for name, text in files.items():
        path = root / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")


def lines(prefix: str, count: int = 10) -> str:
    return "".join(f"{prefix} {i}\n" for i in range(1, count + 1))


def release(template: Path, tag: str, files: dict[str, str | None], questions: dict) -> Path:
    """Commit ``files`` (under project/) and ``questions`` into ``template`` and tag ``tag``."""
    if not (template / ".git").is_dir():
        template.mkdir(parents=True, exist_ok=True)
        git("init", "--quiet", cwd=template)
        write(template, {"project/{{_copier_conf.answers_file}}.jinja": ANSWERS_JINJA})
    write(template, {f"project/{name}": text for name, text in files.items()})
    copier_yml = yaml.safe_dump({**SETTINGS, **questions}, sort_keys=False)
    write(template, {"copier.yml": copier_yml})
    git("add", "--all", cwd=template)
    git("commit", "--quiet", "--allow-empty", "-m", f"template {tag}", cwd=template)
    git("tag", tag, cwd=template)
    return template


def commit(repo: Path, message: str = "my changes") -> None:
    git("add", "--all", cwd=repo)
    git("commit", "--quiet", "-m", message, cwd=repo)


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))


def unmerged(repo: Path) -> dict[str, set[int]]:
    """Unmerged index entries: path -> stages."""
    stages: dict[str, set[int]] = {}
    for line in git("ls-files", "--unmerged", cwd=repo).splitlines():
        info, path = line.split("\t")
        stages.setdefault(path, set()).add(int(info.split()[2]))
    return stages


def assert_no_leftovers(project: Path) -> None:
    """No .rej/.orig files, no cherry-pick, merge or sequencer state."""
    assert not [p for p in project.rglob("*") if p.suffix in {".rej", ".orig"}]
    git_dir = project / ".git"
    for name in ("CHERRY_PICK_HEAD", "MERGE_HEAD", "MERGE_MSG", "sequencer", "AUTO_MERGE"):
        assert not (git_dir / name).exists(), name

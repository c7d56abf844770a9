"""Helpers for the update tests: isolated user dirs, small git templates, the CLI in-process."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from mlscaffold import gitutil
from mlscaffold.cli import cli
from mlscaffold.gitutil import git

SETTINGS = {
    "_subdirectory": "project",
    "_answers_file": ".copier-answers.yml",
    "_templates_suffix": ".jinja",
}
ANSWERS_JINJA = "{{ _copier_answers|to_nice_yaml -}}\n"


def isolate(home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point HOME (and so the config, data and git config) at ``home``, a fresh folder with a git
    identity (conftest's ``isolated_home`` gives every test a HOME, but no identity)."""
    home.mkdir(parents=True, exist_ok=True)
    gitutil.config.cache_clear()
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
    git("commit", "--quiet", "--allow-empty", "-m", message, cwd=repo)


def conflicting_branch(repo: Path, name: str = "a.txt") -> None:
    """A branch ``other`` whose change to file ``name`` conflicts with one committed on main."""
    git("checkout", "--quiet", "-b", "other", cwd=repo)
    write(repo, {name: "other\n"})
    commit(repo, "other")
    git("checkout", "--quiet", "main", cwd=repo)
    write(repo, {name: "main\n"})
    commit(repo, "main")


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


# The scenario shared by the custom and built-in template tests; ``prefix`` is a folder for its
# files inside the template's project.
FLAVOUR = {"flavour": {"type": "str", "default": "vanilla", "choices": ["vanilla", "mint"]}}


def scenario_v1(prefix: str = "") -> dict[str, str | None]:
    """The template's files before the change."""
    names = (
        "config",
        "conflict",
        "model",
        "moved",
        "obsolete",
        "obsolete edited",
        "deleted by user",
    )
    files = {f"{prefix}{name.replace(' ', '_')}.txt": lines(name) for name in names}
    return {**files, f"{prefix}README.md.jinja": "# {{ project_name }}\n\n" + lines("readme")}


def scenario_v2(prefix: str = "") -> dict[str, str | None]:
    """Template changes, additions and removals (the new question is ``FLAVOUR``)."""
    return {
        f"{prefix}config.txt": lines("config").replace("config 8\n", "TEMPLATE config 8\n"),
        f"{prefix}conflict.txt": lines("conflict").replace("conflict 5\n", "TEMPLATE conflict 5\n"),
        f"{prefix}model.txt": lines("model").replace("model 9\n", "TEMPLATE model 9\n"),
        f"{prefix}deleted_by_user.txt": lines("deleted by user") + "TEMPLATE addition\n",
        f"{prefix}moved.txt": None,
        f"{prefix}moved_by_template.txt": lines("moved"),
        f"{prefix}obsolete.txt": None,
        f"{prefix}obsolete_edited.txt": None,
        f"{prefix}added.txt": "added by the template\n",
        f"{prefix}flavour.txt.jinja": "flavour = {{ flavour }}\n",
    }


def user_edits(project: Path, prefix: str = "") -> None:
    """Change, add, delete and rename files, and commit."""
    write(
        project,
        {
            f"{prefix}config.txt": lines("config").replace("config 2\n", "USER config 2\n"),
            f"{prefix}conflict.txt": lines("conflict").replace("conflict 5\n", "USER conflict 5\n"),
            f"{prefix}obsolete_edited.txt": lines("obsolete edited") + "USER keeps this\n",
            f"{prefix}moved.txt": lines("moved").replace("moved 3\n", "USER moved 3\n"),
            f"{prefix}user_added.txt": "my own file\n",
            f"{prefix}deleted_by_user.txt": None,
        },
    )
    git("mv", f"{prefix}model.txt", f"{prefix}network.txt", cwd=project)
    write(project, {f"{prefix}network.txt": lines("model").replace("model 1\n", "USER model 1\n")})
    commit(project)


def check_scenario(project: Path, result: Result, head: str, prefix: str = "") -> None:
    """Every expectation of the issue after updating the edited project to the template change."""

    def read(name: str) -> str:
        return (project / prefix / name).read_text("utf-8")

    assert result.exit_code == 1, result.output
    assert f"{prefix}conflict.txt" in result.stderr
    # both sides of a file changed in different places
    assert "USER config 2" in read("config.txt") and "TEMPLATE config 8" in read("config.txt")
    # the user's own file is untouched
    assert read("user_added.txt") == "my own file\n"
    # a file the user deleted stays deleted, although the template changed it
    assert not (project / prefix / "deleted_by_user.txt").exists()
    assert f"{prefix}deleted_by_user.txt" not in git("ls-files", cwd=project)
    # a renamed file gets the template's change under its new name
    assert not (project / prefix / "model.txt").exists()
    assert "USER model 1" in read("network.txt") and "TEMPLATE model 9" in read("network.txt")
    # a file the template renamed keeps the user's edit under its new name
    assert not (project / prefix / "moved.txt").exists()
    assert "USER moved 3" in read("moved_by_template.txt")
    # removed by the template: gone when untouched, kept when the user changed it
    assert not (project / prefix / "obsolete.txt").exists()
    assert read("obsolete_edited.txt").endswith("USER keeps this\n")
    # additions, and the new question answered with its default
    assert read("added.txt") == "added by the template\n"
    assert read("flavour.txt") == "flavour = vanilla\n"
    assert answers(project)["flavour"] == "vanilla"
    # the collision is an ordinary git conflict: markers and unmerged index entries
    text = read("conflict.txt")
    assert "<<<<<<<" in text and "USER conflict 5" in text and "TEMPLATE conflict 5" in text
    assert unmerged(project) == {f"{prefix}conflict.txt": {1, 2, 3}}
    assert f"both modified:   {prefix}conflict.txt" in git("status", cwd=project)
    # nothing committed, nothing left behind
    assert git("rev-parse", "HEAD", cwd=project) == head
    assert_no_leftovers(project)

"""``mlscaffold link``: adopt a template in an existing repository, then update across a release."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import git

from .updatekit import cli_run, commit, isolate, lines, unmerged, write
from .updatekit import release as tag_release

MINE = {"README.md": "# My project\n\nMine, all mine.\n", "Dockerfile": "FROM python:3.12\n"}


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An existing repository with its own README, Dockerfile and code, all committed."""
    isolate(tmp_path / "home", monkeypatch)
    repo = tmp_path / "mine"
    write(repo, {**MINE, "src/app.py": "print('mine')\n"})
    git("init", "--quiet", cwd=repo)
    commit(repo, "my project")
    return repo


def _files(repo: Path) -> dict[str, bytes]:
    return {
        p.relative_to(repo).as_posix(): p.read_bytes()
        for p in repo.rglob("*")
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }


def test_link_writes_and_commits_only_the_answers_file(repo: Path) -> None:
    before = _files(repo)
    result = cli_run("link", "recommender", repo, "--vcs-ref", "0.3.0", "--defaults")
    assert result.exit_code == 0, result.output
    after = _files(repo)
    assert set(after) - set(before) == {".copier-answers.yml"}
    assert {k: v for k, v in after.items() if k in before} == before
    assert git("show", "--name-only", "--format=", "HEAD", cwd=repo) == ".copier-answers.yml"
    assert git("status", "--porcelain", cwd=repo) == ""
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text())
    assert answers["_commit"] == "0.3.0" and answers["_src_path"].endswith("recommender.bundle")


def test_update_after_link_merges_a_builtin_release_into_my_files(repo: Path) -> None:
    assert cli_run("link", "recommender", repo, "--vcs-ref", "0.3.0", "--defaults").exit_code == 0
    result = cli_run("update", repo, "--to", "0.4.0")
    assert result.exit_code == 1, result.output  # the template's README change meets mine
    assert "recommender 0.3.0 -> 0.4.0" in result.output
    assert (repo / "Dockerfile").read_text() == MINE["Dockerfile"]  # the release left it alone
    assert (repo / "src/app.py").read_text() == "print('mine')\n"
    assert (repo / "benchmarks/loadwrk.py").is_file()  # new in 0.4.0
    assert not (repo / "pyproject.toml").exists()  # the template's, never mine: stays absent
    readme = (repo / "README.md").read_text()
    assert "Mine, all mine." in readme and "<<<<<<<" in readme
    assert "README.md" in unmerged(repo)
    assert yaml.safe_load((repo / ".copier-answers.yml").read_text())["_commit"] == "0.4.0"


def test_update_after_link_merges_clean_changes_and_keeps_untouched_files(
    repo: Path, tmp_path: Path
) -> None:
    template = tmp_path / "tpl"
    dockerfile = "FROM python:3.12\n" + lines("RUN step")
    tag_release(template, "1.0.0", {"README.md": "# Template\n", "Dockerfile": dockerfile}, {})
    write(repo, {"Dockerfile": dockerfile.replace("RUN step 9", "RUN my own step 9")})
    commit(repo, "my Dockerfile, from the template's")
    assert cli_run("link", template, repo, "--defaults").exit_code == 0
    newer = dockerfile.replace("RUN step 2", "RUN step 2, better")
    tag_release(template, "1.1.0", {"Dockerfile": newer, "NEW.md": "new\n"}, {})

    result = cli_run("update", repo)
    assert result.exit_code == 0, result.output
    merged = (repo / "Dockerfile").read_text()
    assert "RUN step 2, better" in merged and "RUN my own step 9" in merged
    assert (repo / "README.md").read_text() == MINE["README.md"]
    assert (repo / "NEW.md").read_text() == "new\n"


def test_link_refuses_a_folder_without_git_or_with_a_link(repo: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    result = cli_run("link", "recommender", plain, "--defaults")
    assert result.exit_code == 1 and "is not a git repository" in result.output
    assert list(plain.iterdir()) == []
    assert cli_run("link", "recommender", repo, "--defaults").exit_code == 0
    again = cli_run("link", "recommender", repo, "--defaults")
    assert again.exit_code == 1 and "linked already" in again.output

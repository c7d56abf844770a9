"""An export shared through a hosted repository: any clone of it can pull a newer mlscaffold
template (``template export`` again), and projects generated from a clone record the hosted URL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlscaffold.gitutil import git
from mlscaffold.sources import history

from .test_update_builtin import NAME, Release, mlscaffold_release  # noqa: F401 (a fixture)
from .updatekit import answers, cli_run, commit, isolate, write


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)


def customize(template: Path, line: str, tag: str) -> None:
    """Add ``line`` to the template's README and release it as ``tag``."""
    readme = template / "project" / "README.md.jinja"
    write(readme.parent, {readme.name: readme.read_text("utf-8") + line})
    commit(template, f"ours: {tag}")
    git("tag", tag, cwd=template)


@pytest.fixture
def hosted(tmp_path: Path) -> tuple[Path, str]:
    """The mentor's export, customised, released as ``<newest>+acme.1`` and pushed to a hosted
    (bare) repository; its folder and the hosted URL."""
    mine = tmp_path / "mentor" / "template"
    assert cli_run("template", "export", NAME, mine).exit_code == 0
    bare = tmp_path / "hosted" / "template.git"
    git("init", "--quiet", "--bare", str(bare))
    url = bare.as_uri()
    git("remote", "add", "origin", url, cwd=mine)
    customize(mine, "Made at ACME.\n", f"{history.builtins()[NAME].version}+acme.1")
    git("push", "--quiet", "origin", "main", "--tags", cwd=mine)
    return mine, url


def clone(url: str, dest: Path) -> Path:
    git("clone", "--quiet", url, str(dest))
    return dest


def test_a_fresh_clone_pulls_a_newer_upstream(
    mlscaffold_release: Release,  # noqa: F811
    hosted: tuple[Path, str],
    tmp_path: Path,
) -> None:
    colleague = clone(hosted[1], tmp_path / "colleague")
    assert git("remote", cwd=colleague).split() == ["origin"]
    newer = mlscaffold_release.publish({"NEWS.md": "a newer mlscaffold\n"})

    result = cli_run("template", "export", NAME, colleague)
    assert result.exit_code == 0, result.output
    assert (
        "Pointed remote 'upstream'" in result.output and "git merge upstream/main" in result.output
    )
    assert git("remote", "get-url", "upstream", cwd=colleague) == str(history.installed_path(NAME))
    assert git("config", "remote.upstream.tagOpt", cwd=colleague) == "--no-tags"
    git("merge", "--quiet", "--no-edit", "upstream/main", cwd=colleague)
    assert (colleague / "project" / "NEWS.md").read_text("utf-8") == "a newer mlscaffold\n"
    assert "Made at ACME." in (colleague / "project" / "README.md.jinja").read_text("utf-8")
    assert newer not in git("tag", cwd=colleague).split()  # upstream's tags stay out
    assert "Fetched" in cli_run("template", "export", NAME, colleague).output  # again: a fetch


def test_an_upstream_from_another_machine_is_repointed(hosted: tuple[Path, str], tmp_path: Path):
    colleague = clone(hosted[1], tmp_path / "colleague")
    elsewhere = f"/home/mentor/.local/share/mlscaffold/templates/{NAME}.bundle"
    git("remote", "add", "upstream", elsewhere, cwd=colleague)
    result = cli_run("template", "export", NAME, colleague)
    assert result.exit_code == 0, result.output
    assert git("remote", "get-url", "upstream", cwd=colleague) == str(history.installed_path(NAME))


def test_someone_elses_upstream_is_left_alone(hosted: tuple[Path, str], tmp_path: Path) -> None:
    colleague = clone(hosted[1], tmp_path / "colleague")
    fork = "https://example.com/someone/template.git"
    git("remote", "add", "upstream", fork, cwd=colleague)
    result = cli_run("template", "export", NAME, colleague)
    assert result.exit_code == 1
    assert f"the remote upstream of {colleague} is {fork}" in result.output
    assert git("remote", "get-url", "upstream", cwd=colleague) == fork


def test_a_repository_that_is_no_export_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other"
    write(other, {"x.txt": "x\n"})
    git("init", "--quiet", cwd=other)
    commit(other)
    result = cli_run("template", "export", NAME, other)
    assert result.exit_code == 1 and "not an export of" in result.output
    assert git("remote", cwd=other) == ""


def test_a_project_from_a_clone_records_the_hosted_url_and_updates_from_it(
    hosted: tuple[Path, str], tmp_path: Path
) -> None:
    mentor, url = hosted
    colleague = clone(url, tmp_path / "colleague")
    project = tmp_path / "student"
    result = cli_run("new", colleague, project, "--defaults")
    assert result.exit_code == 0, result.output
    first = f"{history.builtins()[NAME].version}+acme.1"
    assert answers(project)["_src_path"] == url and answers(project)["_commit"] == first
    assert "Made at ACME." in (project / "README.md").read_text("utf-8")

    customize(mentor, "Now with office hours.\n", f"{history.builtins()[NAME].version}+acme.2")
    git("push", "--quiet", "origin", "main", "--tags", cwd=mentor)
    shutil.rmtree(colleague)  # the project needs no clone: it updates from the hosted URL
    assert cli_run("check", project).exit_code == 1
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "Now with office hours." in (project / "README.md").read_text("utf-8")


def test_a_version_not_pushed_records_the_folder_and_says_why(
    hosted: tuple[Path, str], tmp_path: Path
) -> None:
    mentor, _ = hosted
    tag = f"{history.builtins()[NAME].version}+acme.2"
    customize(mentor, "Not pushed yet.\n", tag)
    result = cli_run("new", mentor, tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    assert answers(tmp_path / "project")["_src_path"] == str(mentor)
    assert f"has no tag {tag} (push it: git push origin {tag})" in result.output


def test_a_tag_moved_since_it_was_pushed_records_the_folder(
    hosted: tuple[Path, str], tmp_path: Path
) -> None:
    mentor, _ = hosted
    tag = f"{history.builtins()[NAME].version}+acme.1"
    git("tag", "--delete", tag, cwd=mentor)
    customize(mentor, "Retagged locally.\n", tag)
    result = cli_run("new", mentor, tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    assert answers(tmp_path / "project")["_src_path"] == str(mentor)
    assert f"has another commit for tag {tag}" in result.output

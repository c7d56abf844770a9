"""``mlscaffold update`` of a built-in template across a (simulated) new mlscaffold release.

The repository's templates and the packaged histories are copied to a temporary folder and used as
mlscaffold's own; ``release.publish`` on them makes new template versions, as a release does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import git
from mlscaffold.sources import history, release

from .conftest import TEMPLATES
from .updatekit import (
    FLAVOUR,
    answers,
    check_scenario,
    cli_run,
    commit,
    isolate,
    scenario_v1,
    scenario_v2,
    unmerged,
    user_edits,
    write,
)

NAME = "image_classifier"
PREFIX = "notes/"


class Release:
    """mlscaffold's template sources and histories, in a temporary folder."""

    def __init__(self, root: Path) -> None:
        self.templates = root / "templates"
        self.histories = root / "histories"
        for part in (release.SHARED, NAME):  # only one template, to publish quickly
            shutil.copytree(TEMPLATES / part, self.templates / part)
        shutil.copytree(history.HISTORIES, self.histories)

    def publish(
        self,
        files: dict[str, str | None],
        questions: dict | None = None,
        summary: str = "A test release.",
    ) -> str:
        """Change the shared project files (and questions), publish with ``summary`` as its
        changelog entry; the new version."""
        write(self.templates / "_shared" / "project", files)
        if questions:
            shared = self.templates / "_shared" / "copier.yml"
            shared.write_text(shared.read_text("utf-8") + "\n" + yaml.safe_dump(questions))
        released = release.publish(self.templates, self.histories, summary=summary)
        history.builtins.cache_clear()
        return released[NAME]


@pytest.fixture
def mlscaffold_release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Release]:
    isolate(tmp_path / "home", monkeypatch)
    made = Release(tmp_path / "mlscaffold")
    monkeypatch.setattr(history, "HISTORIES", made.histories)
    monkeypatch.setattr(history, "INDEX", made.histories / "index.json")
    history.builtins.cache_clear()
    yield made
    history.builtins.cache_clear()


@pytest.fixture
def project(mlscaffold_release: Release, tmp_path: Path) -> Path:
    """A built-in project, edited by its user, with a newer release of its template out."""
    first = mlscaffold_release.publish(scenario_v1(PREFIX))
    result = cli_run("new", NAME, tmp_path / "project", "--defaults")
    assert result.exit_code == 0, result.output
    project = tmp_path / "project"
    assert answers(project)["_commit"] == first
    user_edits(project, PREFIX)
    mlscaffold_release.publish(scenario_v2(PREFIX), FLAVOUR)
    return project


def test_update_to_a_new_release(project: Path) -> None:
    head = git("rev-parse", "HEAD", cwd=project)
    recorded = answers(project)
    result = cli_run("update", project, "--defaults")
    check_scenario(project, result, head, PREFIX)
    assert answers(project)["_commit"] == history.builtins()[NAME].version
    assert answers(project)["_src_path"] == recorded["_src_path"]


def test_update_on_a_fresh_machine(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone, an empty HOME, and an answers file written on another kind of machine."""
    elsewhere = "~/Library/Application Support/mlscaffold/templates/image_classifier.bundle"
    data = answers(project)
    write(project, {".copier-answers.yml": yaml.safe_dump({**data, "_src_path": elsewhere})})
    commit(project, "generated on a Mac")
    clone = tmp_path / "clone"
    git("clone", "--quiet", str(project), str(clone))
    isolate(tmp_path / "fresh-home", monkeypatch)
    assert not history.installed_path(NAME).exists()

    head = git("rev-parse", "HEAD", cwd=clone)
    result = cli_run("update", clone, "--defaults")
    check_scenario(clone, result, head, PREFIX)
    assert history.installed_path(NAME).is_file()
    assert answers(clone)["_src_path"] == history.recorded_source(NAME)


def test_check(project: Path) -> None:
    result = cli_run("check", project, "--json")
    assert result.exit_code == 1
    state = json.loads(result.output)
    latest = history.builtins()[NAME].version
    assert state["current"] != latest and state["latest"] == latest and not state["up_to_date"]

    assert cli_run("update", project, "--defaults").exit_code == 1
    write(project, {f"{PREFIX}conflict.txt": "resolved\n"})
    commit(project, "update the template")
    result = cli_run("check", project)
    assert result.exit_code == 0 and "up to date" in result.output


def test_diff_shows_user_changes_and_upstream_changes(project: Path) -> None:
    result = cli_run("diff", project)
    assert result.exit_code == 0, result.output
    assert "+USER config 2" in result.output and "-config 2" in result.output
    assert f"rename to {PREFIX}network.txt" in result.output
    assert f"+++ b/{PREFIX}user_added.txt" in result.output
    assert "TEMPLATE" not in result.output

    result = cli_run("diff", project, "--upstream")
    assert result.exit_code == 0, result.output
    assert "+TEMPLATE config 8" in result.output and "USER" not in result.output
    assert f"+++ b/{PREFIX}flavour.txt" in result.output
    assert git("status", "--porcelain", cwd=project) == ""


def test_dry_run_of_a_release(project: Path) -> None:
    result = cli_run("update", project, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"{PREFIX}conflict.txt" in result.output
    assert unmerged(project) == {} and git("status", "--porcelain", cwd=project) == ""


def test_export_customize_update_and_merge_upstream(
    mlscaffold_release: Release, tmp_path: Path
) -> None:
    base = mlscaffold_release.publish(scenario_v1(PREFIX))
    mine = tmp_path / "my-template"
    assert cli_run("template", "export", NAME, mine).exit_code == 0
    assert set(git("tag", cwd=mine).split()) == set(history.builtins()[NAME].versions)
    assert git("config", "remote.upstream.tagOpt", cwd=mine) == "--no-tags"

    def customize(old: str, new: str, tag: str) -> None:
        path = mine / "project" / PREFIX / "config.txt"
        write(path.parent, {path.name: path.read_text("utf-8").replace(old, new)})
        commit(mine, f"my template {tag}")
        git("tag", tag, cwd=mine)

    customize("config 3\n", "MINE config 3\n", f"{base}+mine.1")
    project = tmp_path / "project"
    assert cli_run("new", mine, project, "--defaults").exit_code == 0
    assert answers(project)["_commit"] == f"{base}+mine.1"
    write(project, {f"{PREFIX}user.txt": "mine\n"})
    commit(project)

    customize("config 4\n", "MINE config 4\n", f"{base}+mine.2")
    assert cli_run("update", project, "--defaults").exit_code == 0
    commit(project, "update")

    upstream = mlscaffold_release.publish(scenario_v2(PREFIX), FLAVOUR)
    assert "Fetched" in cli_run("template", "export", NAME, mine).output
    git("merge", "--quiet", "--no-edit", "upstream/main", cwd=mine)
    git("tag", f"{upstream}+mine.1", cwd=mine)
    assert upstream not in git("tag", cwd=mine).split()

    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    config = (project / PREFIX / "config.txt").read_text("utf-8")
    assert all(f"{who} config {i}" in config for who, i in (("MINE", 3), ("MINE", 4)))
    assert "TEMPLATE config 8" in config
    assert (project / PREFIX / "flavour.txt").is_file()
    assert (project / PREFIX / "user.txt").read_text("utf-8") == "mine\n"
    assert answers(project)["_commit"] == f"{upstream}+mine.1"


def test_export_refuses_a_non_empty_folder_and_unknown_names(
    mlscaffold_release: Release, tmp_path: Path
) -> None:
    write(tmp_path / "full", {"x.txt": "x\n"})
    result = cli_run("template", "export", NAME, tmp_path / "full")
    assert result.exit_code == 1 and "not an empty folder" in result.output
    result = cli_run("template", "export", "nope", tmp_path / "empty")
    assert result.exit_code == 1 and "no built-in template 'nope'" in result.output

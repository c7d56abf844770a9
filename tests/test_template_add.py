"""``mlscaffold template add``: register custom templates by alias."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold import config

from .updatekit import cli_run, isolate, release, write


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)


def test_add_a_folder_then_list_and_generate(tmp_path: Path) -> None:
    questions = {"project_name": {"type": "str", "default": "demo"}}
    template = release(tmp_path / "template", "1.0.0", {"hello.txt": "hi\n"}, questions)
    result = cli_run("template", "add", "mine", template)
    assert result.exit_code == 0, result.output
    assert config.load()["templates"]["mine"] == str(template.resolve())
    assert "mine" in cli_run("list").output
    assert cli_run("new", "mine", tmp_path / "project", "--defaults").exit_code == 0
    assert (tmp_path / "project" / "hello.txt").read_text("utf-8") == "hi\n"


def test_add_a_git_url() -> None:
    assert cli_run("template", "add", "remote", "https://example.com/t.git").exit_code == 0
    assert config.load()["templates"]["remote"] == "https://example.com/t.git"


@pytest.mark.parametrize(
    ("alias", "source", "message"),
    [
        ("bad alias", ".", "not a valid alias"),
        ("recommender", ".", "not a valid alias"),
        ("mine", "no/such/folder", "neither a template folder nor a git URL"),
        ("mine", "plain", "not a copier template"),
    ],
)
def test_add_refuses(tmp_path: Path, alias: str, source: str, message: str) -> None:
    write(tmp_path / "plain", {"x.txt": "x\n"})
    target = str(tmp_path / source) if source == "plain" else source
    result = cli_run("template", "add", alias, target)
    assert result.exit_code == 1 and message in result.output
    assert config.load()["templates"] == {}

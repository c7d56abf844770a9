"""The rules that combine a composition's templates: copier.yml merged, files overlaid."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.compose.layering import LayeringError, merge_configs, overlay

from .updatekit import write

BASE = {
    "_subdirectory": "project",
    "_exclude": ["*.pyc"],
    "_tasks": ["echo base"],
    "_migrations": [{"version": "0.2.0", "command": "echo base's own numbering"}],
    "name": {"type": "str", "default": "demo", "help": "Name"},
    "size": {"type": "int", "default": 3},
}


def test_questions_and_settings() -> None:
    ext = {
        "_extends": "base@0.1",
        "_exclude": ["*.pyc", "notes.txt"],
        "_tasks": ["echo ext"],
        "_answers_file": ".answers.yml",
        "name": {"default": "course"},
        "size": 5,  # copier's shorthand: a new default
        "team": {"type": "str", "default": "vision"},
    }
    merged = merge_configs([BASE, ext], ["base", "ext"])
    assert list(merged) == [
        "_exclude",
        "_tasks",
        "name",
        "size",
        "_answers_file",
        "team",
    ]
    assert merged["name"] == {"type": "str", "default": "course", "help": "Name"}
    assert merged["size"] == {"type": "int", "default": 5}
    assert merged["_exclude"] == ["*.pyc", "notes.txt"] and merged["_tasks"] == [
        "echo base",
        "echo ext",
    ]


def test_only_the_extensions_migrations_are_kept() -> None:
    ext = {"_migrations": [{"version": "1.1.0", "command": "echo ext"}]}
    assert merge_configs([BASE, ext], ["base", "ext"])["_migrations"] == ext["_migrations"]
    assert "_migrations" not in merge_configs([BASE, {}], ["base", "ext"])


@pytest.mark.parametrize(
    ("ext", "message"),
    [
        ({"_templates_suffix": ".tmpl"}, "different _templates_suffix values (.jinja, .tmpl)"),
        ({"_subdirectory": "{{ flavour }}"}, "ext: composition needs a literal _subdirectory"),
    ],
)
def test_what_cannot_be_combined(ext: dict, message: str) -> None:
    with pytest.raises(LayeringError, match=message.replace("(", r"\(").replace(")", r"\)")):
        merge_configs([BASE, ext], ["base", "ext"])


def test_overlay_replaces_what_renders_to_the_same_name(tmp_path: Path) -> None:
    base, ext, out = tmp_path / "base", tmp_path / "ext", tmp_path / "out"
    write(base, {"README.md.jinja": "base\n", "notes": "a file\n", "keep.txt": "kept\n"})
    write(ext, {"README.md": "ext\n", "notes/one.txt": "a folder now\n", "copier.yml": "x: 1\n"})
    (ext / "link").symlink_to("README.md")
    overlay(base, out, ".jinja", skip_config=True)
    overlay(ext, out, ".jinja", skip_config=True)
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir())
    assert files == ["README.md", "keep.txt", "link", "notes/one.txt"]
    assert (out / "README.md").read_text("utf-8") == "ext\n"
    assert (out / "link").is_symlink() and str((out / "link").readlink()) == "README.md"

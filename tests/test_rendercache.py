"""The render cache shares a render only between projects it is the same for."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.sources.origin import Origin
from mlscaffold.update import rendercache

from .updatekit import isolate, release

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}


@pytest.mark.parametrize(
    ("files", "sees"),
    [
        ({"a.txt.jinja": "{{ project_name }}\n"}, False),
        ({"a.txt.jinja": "{{ _folder_name }}\n"}, True),
        ({"a.txt.jinja": "{{ _copier_conf.dst_path }}\n"}, True),
        ({"{{ _folder_name }}.txt": "x\n"}, True),
    ],
)
def test_a_template_that_sees_its_folder_name_is_not_shared_across_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, files: dict, sees: bool
) -> None:
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "t", "0.1.0", files, QUESTIONS)
    source = Origin(str(template), "t", trusted=False)
    assert rendercache.sees_folder(source, "0.1.0") is sees


def test_renders_are_copied_once_made_and_keyed_by_answers(tmp_path: Path) -> None:
    source, made = Origin(str(tmp_path), "t", trusted=False), []

    def produce(folder: Path) -> None:
        made.append(folder)
        folder.mkdir(parents=True)
        (folder / "f.txt").write_text(f"render {len(made)}\n")

    with rendercache.shared() as cache:
        cache.sees_folder[(str(tmp_path), "1.0")] = False
        for name, answers in (("a", {"x": 1}), ("b", {"x": 1}), ("c", {"x": 2})):
            rendercache.render(
                source, "1.0", answers, ".copier-answers.yml", tmp_path / name, produce
            )
    assert len(made) == 2 and cache.reused == 1
    assert [(tmp_path / n / "f.txt").read_text() for n in "abc"] == [
        "render 1\n",
        "render 1\n",
        "render 2\n",
    ]

"""``merge.apply`` on the awkward cases: renames against deletions, and files both sides added."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.gitutil import git
from mlscaffold.update import merge

from .updatekit import assert_no_leftovers, commit, isolate, lines, unmerged, write


def test_renames_deletions_and_additions_on_both_sides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path / "home", monkeypatch)
    old, new, project = tmp_path / "old", tmp_path / "new", tmp_path / "project"
    files = {"a.txt": lines("a"), "b.txt": lines("b"), "c.txt": lines("c")}
    write(old, files)
    write(project, files)
    git("init", "--quiet", cwd=project)
    commit(project, "generated")
    # the template renames (and changes) a.txt, deletes b.txt and adds d.txt
    write(new, {"a2.txt": lines("a").replace("a 5\n", "T a 5\n"), "c.txt": lines("c")})
    write(new, {"d.txt": "template d\n"})
    # the user deletes a.txt, renames and changes b.txt, and adds another d.txt
    write(project, {"a.txt": None, "b.txt": None, "d.txt": "user d\n"})
    write(project, {"b2.txt": lines("b").replace("b 1\n", "U b 1\n")})
    commit(project)
    git("config", "commit.gpgSign", "true", cwd=project)  # mlscaffold's own commits are unsigned
    git("config", "gpg.program", "false", cwd=project)

    base = merge.snapshot(project, old, "old")
    result = merge.apply(project, base, merge.snapshot(project, new, "new", parent=base))

    assert result.left_deleted == ["a2.txt"] and not (project / "a2.txt").exists()
    assert result.kept == ["b2.txt"] and "U b 1" in (project / "b2.txt").read_text("utf-8")
    assert result.conflicts == ["d.txt"] and unmerged(project) == {"d.txt": {2, 3}}
    text = (project / "d.txt").read_text("utf-8")
    assert "<<<<<<<" in text and "user d" in text and "template d" in text
    assert result.changes == [("conflict", "d.txt")]
    assert_no_leftovers(project)


def test_deletion_conflicts_on_glob_like_names_touch_only_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path / "home", monkeypatch)
    old, new, project = tmp_path / "old", tmp_path / "new", tmp_path / "project"
    files = {"m*": lines("star"), "m1.txt": lines("m1"), "k*": lines("kept")}
    write(old, files)
    write(project, files)
    git("init", "--quiet", cwd=project)
    commit(project, "generated")
    # the template changes `m*` and deletes `k*`; the user deletes `m*` and changes `k*`
    write(new, {"m*": lines("star") + "T\n", "m1.txt": lines("m1")})
    write(project, {"m*": None, "k*": lines("kept") + "U\n"})
    commit(project)

    base = merge.snapshot(project, old, "old")
    result = merge.apply(project, base, merge.snapshot(project, new, "new", parent=base))

    assert result.left_deleted == ["m*"] and result.kept == ["k*"]
    assert git("ls-files", cwd=project).split() == ["k*", "m1.txt"]  # m1.txt stays tracked
    assert (project / "m1.txt").read_text("utf-8") == lines("m1")

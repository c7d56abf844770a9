"""Property: whatever lines the user and the template change, an update loses none of them."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .updatekit import cli_run, commit, isolate, release, write

SIZE = 12
FILES = ("a.txt", "b.txt")
QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
edits = st.sets(st.integers(0, SIZE - 1), max_size=SIZE // 2)


def _text(name: str, changed: dict[int, str]) -> str:
    return "".join(f"{changed.get(i, f'{name} base {i}')}\n" for i in range(SIZE))


def _runs(indices: set[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive indices: the hunks of a diff."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _outside_conflicts(text: str) -> list[str]:
    kept, inside = [], False
    for line in text.splitlines():
        if line.startswith("<<<<<<<"):
            inside = True
        elif line.startswith(">>>>>>>"):
            inside = False
        elif not inside:
            kept.append(line)
    return kept


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)


@settings(
    max_examples=12,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(user=st.tuples(edits, edits), template=st.tuples(edits, edits))
def test_no_line_is_ever_lost(user: tuple[set[int], ...], template: tuple[set[int], ...]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = release(root / "t", "0.1.0", {f: _text(f, {}) for f in FILES}, QUESTIONS)
        assert cli_run("new", source, root / "p", "--defaults").exit_code == 0
        mine = {
            f: {i: f"{f} user {i}" for i in lines} for f, lines in zip(FILES, user, strict=True)
        }
        theirs = {
            f: {i: f"{f} template {i}" for i in lines}
            for f, lines in zip(FILES, template, strict=True)
        }
        write(root / "p", {f: _text(f, mine[f]) for f in FILES})
        commit(root / "p")
        release(source, "0.2.0", {f: _text(f, theirs[f]) for f in FILES}, QUESTIONS)

        result = cli_run("update", root / "p", "--defaults")

        collided = False
        for name in FILES:
            hunks = _runs(set(theirs[name]))
            text = (root / "p" / name).read_text("utf-8")
            lines, outside = text.splitlines(), _outside_conflicts(text)
            # every line the user changed is there, in the file or inside a conflict block
            assert all(line in lines for line in mine[name].values())
            # every line nobody changed is there too
            untouched = set(range(SIZE)) - set(mine[name]) - set(theirs[name])
            assert all(f"{name} base {i}" in lines for i in untouched)
            clashes = [any(s - 1 <= i <= e + 1 for i in mine[name]) for s, e in hunks]
            collided = collided or any(clashes)
            for (start, end), clash in zip(hunks, clashes, strict=True):
                if clash:
                    continue
                # a template change that touches no user edit is applied outside any conflict
                for i in range(start, end + 1):
                    assert theirs[name][i] in outside and f"{name} base {i}" not in lines
            if not any(clashes):
                assert text == _text(name, {**theirs[name], **mine[name]})
        assert result.exit_code == (1 if collided else 0), result.output

"""Property: whatever lines the user and the template change, an update loses none of them."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .updatekit import cli_run, commit, isolate, release, write

SIZE = 12
FILES = ("a.txt", "b.txt")
QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
lines_ = st.sets(st.integers(0, SIZE - 1), max_size=SIZE // 2)


@dataclass(frozen=True)
class Edit:
    """Changes to one file: lines replaced, and lines added after the given ones."""

    name: str
    who: str
    replaced: frozenset[int]
    added_after: frozenset[int] = frozenset()

    def line(self, i: int) -> str:
        return f"{self.name} {self.who} {i}"

    def added(self, i: int) -> str:
        return f"{self.name} {self.who} added after {i}"

    def new_lines(self) -> list[str]:
        return [self.line(i) for i in self.replaced] + [self.added(i) for i in self.added_after]


def _text(name: str, *edits: Edit) -> str:
    """The file with ``edits`` applied (where both replace a line, the first wins)."""
    out = []
    for i in range(SIZE):
        out.append(next((e.line(i) for e in edits if i in e.replaced), f"{name} base {i}"))
        out += [e.added(i) for e in edits if i in e.added_after]
    return "".join(f"{line}\n" for line in out)


def _hunks(indices: frozenset[int]) -> list[tuple[int, int]]:
    """Maximal runs of consecutive replaced lines: the hunks of a diff."""
    runs: list[tuple[int, int]] = []
    for i in sorted(indices):
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _collides(hunk: tuple[int, int], user: Edit) -> bool:
    """Whether a template hunk touches a user edit (git needs an unchanged line between them)."""
    start, end = hunk
    return any(start - 1 <= i <= end + 1 for i in user.replaced) or any(
        start - 1 <= i <= end for i in user.added_after
    )


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
@given(
    user=st.tuples(*[st.tuples(lines_, lines_)] * len(FILES)),
    template=st.tuples(*[lines_] * len(FILES)),
)
def test_no_line_is_ever_lost(user: tuple, template: tuple) -> None:
    mine = [
        Edit(f, "user", frozenset(r), frozenset(a)) for f, (r, a) in zip(FILES, user, strict=True)
    ]
    theirs = [Edit(f, "template", frozenset(r)) for f, r in zip(FILES, template, strict=True)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = release(root / "t", "0.1.0", {f: _text(f) for f in FILES}, QUESTIONS)
        assert cli_run("new", source, root / "p", "--defaults").exit_code == 0
        write(root / "p", {e.name: _text(e.name, e) for e in mine})
        commit(root / "p")
        release(source, "0.2.0", {e.name: _text(e.name, e) for e in theirs}, QUESTIONS)

        result = cli_run("update", root / "p", "--defaults")

        collided = False
        for user_edit, template_edit in zip(mine, theirs, strict=True):
            name = user_edit.name
            text = (root / "p" / name).read_text("utf-8")
            lines, outside = text.splitlines(), _outside_conflicts(text)
            # every line the user changed or added is there, in the file or in a conflict block
            assert all(line in lines for line in user_edit.new_lines())
            # every line nobody changed is there too
            untouched = set(range(SIZE)) - user_edit.replaced - template_edit.replaced
            assert all(f"{name} base {i}" in lines for i in untouched)
            clashes = [_collides(h, user_edit) for h in _hunks(template_edit.replaced)]
            collided = collided or any(clashes)
            for (start, end), clash in zip(_hunks(template_edit.replaced), clashes, strict=True):
                # a template change that touches no user edit is applied outside any conflict
                for i in range(start, end + 1):
                    if not clash:
                        assert template_edit.line(i) in outside
                        assert f"{name} base {i}" not in lines
            if not any(clashes):
                assert text == _text(name, template_edit, user_edit)
        assert result.exit_code == (1 if collided else 0), result.output

"""What ``check``, ``update`` and ``diff`` share to work on many projects: the options that pick
them (PATH..., ``--all DIR``, ``--answers-file``), tables, and progress on stderr."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from ..update.fleet import Target

F = TypeVar("F", bound=Callable[..., Any])


def project_options(func: F) -> F:
    """PATH... (default: here), ``--all DIR`` and ``--answers-file F``."""
    options = (
        click.argument("paths", nargs=-1, type=click.Path(file_okay=False, path_type=Path)),
        click.option(
            "--all",
            "search",
            metavar="DIR",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Every generated project below DIR.",
        ),
        click.option(
            "--answers-file",
            metavar="FILE",
            help="Only the template recorded in FILE (default: every template of the project).",
        ),
    )
    for option in reversed(options):
        func = option(func)
    return func


def pick(paths: Sequence[Path], search: Path | None, answers_file: str | None) -> list[Target]:
    """The targets the options name; one when the user named one project with one template."""
    from ..update.fleet import discover, targets

    found = targets(paths or ([] if search else [Path(".")]), answers_file)
    if search:
        found += [t for t in discover(search) if not answers_file or t.answers_file == answers_file]
        if not found:
            raise click.ClickException(f"found no generated project below {search}")
    return found


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Rows aligned in columns under ``headers``."""
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in [headers, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def counted(total: int, verb: str, states: Sequence[str]) -> str:
    """``"20 checked: 3 behind, 17 up to date"``."""
    counts = Counter(states)
    return f"{total} {verb}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))


@contextmanager
def progress(total: int, label: str) -> Iterator[Callable[[object], None]]:
    """A progress bar on stderr when it is a terminal and there is more than one item (so
    scripts and logs get only the result); yields the function that advances it."""
    if total < 2 or not sys.stderr.isatty():
        yield lambda _: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield lambda _: bar.update(1)

"""Where answers come from: --data, --data-file, the user's defaults, and prompts."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import config, gitutil
from .questions import Question

if TYPE_CHECKING:
    from ..sources.catalog import TemplateSource

_KEY = re.compile(r"^[A-Za-z_]\w*$")


def parse_data(items: Iterable[str]) -> dict[str, str]:
    """Answers from repeated ``--data KEY=VALUE`` options."""
    data = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not _KEY.match(key.strip()):
            raise ValueError(f"malformed --data {item!r}: use KEY=VALUE, e.g. author_name='Ada L'")
        data[key.strip()] = value
    return data


def read_data_file(path: Path) -> dict[str, Any]:
    """Answers from a YAML (or JSON) file of ``key: value`` pairs."""
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        raise ValueError(f"cannot read answers file {path}: {reason}") from exc
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ValueError(f"answers file {path} must be a mapping of question names to answers")
    return {str(key): value for key, value in loaded.items()}


def given_answers(data_file: Path | None, data: Iterable[str]) -> dict[str, Any]:
    """Answers from the command line; ``--data`` wins over ``--data-file``."""
    return {**(read_data_file(data_file) if data_file else {}), **parse_data(data)}


def slug(name: str) -> str:
    """A project name usable as a folder and distribution name, made from any text."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-._") or "my-project"


def user_defaults(dest: Path) -> dict[str, str]:
    """Defaults that beat the template's: the destination's name, where CI installs mlscaffold
    from (``toolsource``), your config, your git identity."""
    from .toolsource import requirement

    defaults = {"project_name": slug(dest.resolve().name), "mlscaffold_source": requirement()}
    for key, git_key in (("author_name", "user.name"), ("author_email", "user.email")):
        if value := gitutil.config_value(git_key):
            defaults[key] = value
    defaults.update(config.load()["defaults"])
    return defaults


def prompt(question: Question, default: Any, check: Callable[[Question, Any], tuple]) -> Any:
    """Ask ``question`` on the terminal until the answer passes ``check``."""
    text = question.help or question.name
    values = [value for _, value in question.choices]
    if question.choices:
        for number, (label, value) in enumerate(question.choices, start=1):
            click.echo(f"  {number}) {label}" + ("" if str(label) == str(value) else f" [{value}]"))
    while True:
        try:
            raw = click.prompt(
                click.style(text, bold=True),
                default=default if default is not None else None,
                hide_input=question.secret,
                show_default=not question.secret,
                err=True,
            )
        except click.Abort:  # Ctrl-C, or the end of input
            click.echo(err=True)  # end the prompt's line
            raise click.ClickException(_no_answer(question)) from None
        if values and str(raw).isdigit() and 1 <= int(raw) <= len(values):
            raw = values[int(raw) - 1]
        value, problem = check(question, raw)
        if not problem:
            return value
        click.secho(f"  {problem}; try again", fg="red", err=True)


def _no_answer(question: Question) -> str:
    """Why a prompt got no answer, and what to do: stdin is no terminal (or its input ended), or
    the user pressed Ctrl-C."""
    if not sys.stdin.isatty():
        return (
            f"no answer to {question.name!r}: the input is not a terminal (or it ended), so "
            "nothing can be asked; pass --defaults (and --data KEY=VALUE for the answers you "
            "want); nothing was written"
        )
    return "interrupted at a question; nothing was written"


def warn_not_asked(questions: Iterable[Question], given: Iterable[str]) -> None:
    """Say which answers the user gave are dropped because these answers skip their question."""
    for question in questions:
        if question.name not in given:
            continue
        when = question.when
        why = "the template never asks it" if when is False else f"it is asked only when {when}"
        click.secho(
            f"Warning: the answer {question.name} is not used: {why}", fg="yellow", err=True
        )


def answer_template(
    source: TemplateSource, given: dict[str, Any], dest: Path, *, defaults: bool, trust: bool
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Answers to ``source``'s questions for a project in ``dest``, asked now when its copier.yml
    can be read (prompting unless ``defaults``; its Jinja defaults guarded unless ``trust``), and
    the user defaults copier should still apply (those of a template it must fetch first)."""
    from .. import jinjaguard
    from .questions import Questionnaire, parse

    found = user_defaults(dest)
    text = source.questions_text()
    if text is None:
        return given, found
    questionnaire = Questionnaire(parse(text), given, found, source.path_keys)
    with jinjaguard.trusted(trust):
        answers = questionnaire.run(None if defaults else prompt)
    warn_not_asked(questionnaire.not_asked, given)
    return answers, {}

"""The template's questions, read from its copier.yml, and the questionnaire that answers them.

mlscaffold asks the questions itself (rather than letting copier do it) so that every answer,
from a prompt, ``--data``, ``--data-file`` or a default, goes through the same validation before
anything is written. Questions it cannot ask (an unknown type, a default it cannot render) are left
to copier.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateError

from ..validation import check_answer

SUPPORTED_TYPES = {"str", "int", "float", "bool", "json", "yaml", "path"}


class AnswersError(ValueError):
    """One or more answers are missing or invalid; ``problems`` maps each answer to its problem."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        listed = "; ".join(f"{name}: {problem}" for name, problem in self.problems.items())
        super().__init__(f"invalid answers: {listed}")


@dataclass
class Question:
    """One question of a copier template."""

    name: str
    type: str = "str"
    help: str = ""
    default: Any = None
    choices: list[tuple[str, Any]] = field(default_factory=list)
    when: Any = True
    secret: bool = False
    multiselect: bool = False

    @property
    def supported(self) -> bool:
        return self.type in SUPPORTED_TYPES and not self.multiselect


def parse(copier_yml: str) -> list[Question]:
    """The questions in a copier.yml text (settings, keys starting with ``_``, are skipped)."""
    from ..untrusted import load_all

    questions = []
    for document in load_all(copier_yml, "the template's copier.yml"):
        for name, spec in (document or {}).items():
            if str(name).startswith("_"):
                continue
            if not isinstance(spec, dict):
                questions.append(Question(name=name, default=spec))
                continue
            raw_choices = spec.get("choices") or []
            if isinstance(raw_choices, dict):
                choices = [(str(label), value) for label, value in raw_choices.items()]
            else:
                choices = [(str(value), value) for value in raw_choices]
            questions.append(
                Question(
                    name=name,
                    type=str(spec.get("type", "str")),
                    help=str(spec.get("help", "")).strip(),
                    default=spec.get("default"),
                    choices=choices,
                    when=spec.get("when", True),
                    secret=bool(spec.get("secret", False)),
                    multiselect=bool(spec.get("multiselect", False)),
                )
            )
    return questions


def _jinja_env() -> Any:
    from jinja2.sandbox import SandboxedEnvironment

    from ..jinjaguard import install

    install()  # machine-reading filters refuse unless the template is trusted
    extensions = []
    try:
        import jinja2_ansible_filters  # noqa: F401  (copier's default filters)

        extensions.append("jinja2_ansible_filters.AnsibleCoreFiltersExtension")
    except ImportError:
        pass
    return SandboxedEnvironment(extensions=extensions, keep_trailing_newline=True)


def coerce(question: Question, value: Any) -> Any:
    """Convert a raw answer to the question's type; raise ValueError with a clear message."""
    kind = question.type
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"y", "yes", "true", "1", "on"}:
            return True
        if text in {"n", "no", "false", "0", "off"}:
            return False
        raise ValueError(f"{value!r} is not yes or no")
    if kind == "int":
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a whole number") from None
    if kind == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"{value!r} is not a number") from None
    if kind == "json" and isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg}") from None
    return value if kind in {"json", "yaml"} else str(value)


class Questionnaire:
    """Answers a template's questions from given answers, defaults and, optionally, prompts."""

    def __init__(
        self,
        questions: list[Question],
        given: Mapping[str, Any],
        user_defaults: Mapping[str, Any],
        path_keys: set[str] | None = None,
    ) -> None:
        self.questions = questions
        self.given = dict(given)
        self.user_defaults = dict(user_defaults)
        self.path_keys = path_keys or set()
        self.not_asked: list[Question] = []  # given answers to questions these answers skip
        self._env = _jinja_env()

    def _render(self, value: Any, answers: Mapping[str, Any]) -> Any:
        if isinstance(value, str) and ("{{" in value or "{%" in value):
            return self._env.from_string(value).render(**answers)
        return value

    def _applies(self, question: Question, answers: Mapping[str, Any]) -> bool:
        when = self._render(question.when, answers)
        if isinstance(when, str):
            return when.strip().lower() not in {"", "false", "no", "0", "none"}
        return bool(when)

    def check(self, question: Question, value: Any) -> tuple[Any, str | None]:
        """The coerced answer and its problem (None when valid)."""
        try:
            value = coerce(question, value)
        except ValueError as exc:
            return value, str(exc)
        values = [choice for _, choice in question.choices]
        if values and value not in values and str(value) not in map(str, values):
            return value, f"{value!r} is not one of: {', '.join(map(str, values))}"
        return value, check_answer(question.name, value, self.path_keys)

    def default_for(self, question: Question, answers: Mapping[str, Any]) -> Any:
        if question.name in self.user_defaults:
            return self.user_defaults[question.name]
        return self._render(question.default, answers)

    def run(self, prompt: Callable[[Question, Any, Callable], Any] | None) -> dict[str, Any]:
        """Answer every question; ``prompt`` asks the user (None: use defaults, never ask).

        Raises AnswersError listing every missing or invalid answer. Questions left to copier
        (unsupported ones) are not in the result.
        """
        answers: dict[str, Any] = {}
        problems: dict[str, str] = {}
        for question in self.questions:
            if not question.supported:
                if question.name in self.given:
                    answers[question.name] = self.given[question.name]
                continue
            try:
                if not self._applies(question, answers):
                    if question.name in self.given:
                        self.not_asked.append(question)
                    continue
                default = self.default_for(question, answers)
            except TemplateError:  # an expression mlscaffold cannot render: copier answers it
                if question.name in self.given:
                    answers[question.name] = self.given[question.name]
                continue
            if question.name in self.given:
                value, problem = self.check(question, self.given[question.name])
            elif prompt is None:
                if default is None:
                    problems[question.name] = "no answer given and the template has no default"
                    continue
                value, problem = self.check(question, default)
            else:
                value, problem = prompt(question, default, self.check), None
            if problem:
                problems[question.name] = problem
            answers[question.name] = value
        unknown = set(self.given) - {q.name for q in self.questions}
        for name in sorted(unknown):
            problems[name] = "the template has no such question"
        if problems:
            raise AnswersError(problems)
        return answers

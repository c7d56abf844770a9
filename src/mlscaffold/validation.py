"""One set of rules for every answer, whether it came from a prompt, --data, a file or a default."""

from __future__ import annotations

import keyword
import re
import sys
from collections.abc import Iterable, Mapping

# Import names of the generated projects' dependencies: a package named like one would shadow it.
DEPENDENCY_MODULES = frozenset(
    {
        "click",
        "fastapi",
        "httpx",
        "hadolint",
        "implicit",
        "jinja2",
        "matplotlib",
        "mlflow",
        "numpy",
        "onnx",
        "onnxruntime",
        "optuna",
        "orjson",
        "pandas",
        "pandera",
        "PIL",
        "pil",
        "prometheus_client",
        "pyarrow",
        "pydantic",
        "pytest",
        "requests",
        "ruff",
        "scipy",
        "sklearn",
        "starlette",
        "torch",
        "tqdm",
        "uvicorn",
        "yaml",
    }
)
_PACKAGE = re.compile(r"^[a-z_][a-z0-9_]*$")
_PROJECT = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def check_package_name(value: str) -> str | None:
    if not _PACKAGE.match(value):
        return (
            "must be a lower-case Python identifier (letters, digits, _; not starting with a digit)"
        )
    if keyword.iskeyword(value) or keyword.issoftkeyword(value):
        return f"{value!r} is a Python keyword"
    if value in sys.stdlib_module_names:
        return f"{value!r} would shadow the standard library module of that name"
    if value in DEPENDENCY_MODULES:
        return f"{value!r} would shadow the dependency of that name"
    return None


def check_project_name(value: str) -> str | None:
    if not _PROJECT.match(value):
        return "must be usable as a folder and distribution name: letters, digits, '.', '_', '-'"
    return None


def check_email(value: str) -> str | None:
    return None if _EMAIL.match(value) else f"{value!r} does not look like an e-mail address"


def check_path_part(value: str) -> str | None:
    """An answer that becomes part of a file name may not leave its folder."""
    if any(sep in value for sep in ("/", "\\", "\0")) or value in {"", ".", ".."} or ".." in value:
        return "becomes a file name, so it may not be empty or contain '/', '\\' or '..'"
    return None


RULES = {
    "package_name": check_package_name,
    "project_name": check_project_name,
    "author_email": check_email,
}


def check_answer(name: str, value: object, path_keys: Iterable[str] = ()) -> str | None:
    """The problem with answer ``name``, or None when it is fine."""
    text = str(value)
    if name in set(path_keys) | {"project_name", "package_name"} and (
        problem := check_path_part(text)
    ):
        return problem
    rule = RULES.get(name)
    return rule(text) if rule else None


def check_answers(answers: Mapping[str, object], path_keys: Iterable[str] = ()) -> dict[str, str]:
    """Every problem in ``answers``, by answer name."""
    keys = set(path_keys)
    problems = {name: check_answer(name, value, keys) for name, value in answers.items()}
    return {name: problem for name, problem in problems.items() if problem}

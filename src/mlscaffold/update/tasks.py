"""A template's ``_tasks`` and ``_migrations`` on update, run in the project (never in the
temporary renders), with copier's rules: a task is a shell string, an argument list or a mapping
with ``command``, ``when`` and ``working_directory``; a migration runs when its ``version`` lies
after the recorded version and at or before the new one, at stage ``before`` or ``after`` (the
default) the merge, with the variables and ``STAGE``/``VERSION_*`` environment copier gives it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..sources.origin import parse_version as parse

_FALSE = {"", "0", "n", "no", "f", "false", "off", "~", "null", "none"}


class TaskError(RuntimeError):
    """A task or migration of the template failed."""


@dataclass(frozen=True)
class Task:
    """One command of the template, as copier describes it."""

    cmd: str | list[str]
    when: str = "true"
    working_directory: str = "."
    extra: dict[str, Any] = field(default_factory=dict)


def _task(raw: Any, extra: dict[str, Any], when: str = "true") -> Task:
    if isinstance(raw, Mapping):
        return Task(
            raw["command"],
            str(raw.get("when", when)),
            str(raw.get("working_directory", ".")),
            extra,
        )
    return Task(raw if isinstance(raw, list) else str(raw), when, ".", extra)


def tasks(config: Mapping[str, Any]) -> list[Task]:
    """The ``_tasks`` of a template's copier.yml (parsed)."""
    extra = {"copier_operation": "update"}
    return [_task(raw, extra) for raw in config.get("_tasks") or []]


def migrations(config: Mapping[str, Any], old: str, new: str, stage: str) -> list[Task]:
    """The ``_migrations`` of the new version's copier.yml that run at ``stage`` from ``old``."""
    v_old, v_new = parse(old), parse(new)
    start = config.get("_envops", {}).get("variable_start_string", "{{")
    end = config.get("_envops", {}).get("variable_end_string", "}}")
    default_when = f'{start} _stage == "after" {end}'
    base = {"stage": stage, "version_from": old, "version_to": new, "copier_operation": "update"}
    base |= {"version_pep440_from": str(v_old), "version_pep440_to": str(v_new)}
    found: list[Task] = []
    for raw in config.get("_migrations") or []:
        extra = dict(base)
        if isinstance(raw, Mapping) and "version" in raw:
            current = parse(str(raw["version"]))
            if not (v_old and v_new and current and v_new >= current > v_old):
                continue
            extra |= {"version_current": str(raw["version"]), "version_pep440_current": current}
            if "before" in raw or "after" in raw:  # copier's older format
                found += [_task(cmd, extra) for cmd in raw.get(stage) or []]
                continue
        found.append(_task(raw, extra, default_when))
    return found


@dataclass(frozen=True)
class Command:
    """A task or migration ready to run: rendered, its ``when`` held."""

    cmd: str | list[str]
    cwd: Path
    env: dict[str, str]


def due(
    found: list[Task], root: Path, config: Mapping[str, Any], context: Mapping[str, Any]
) -> list[Command]:
    """The commands of ``found`` whose ``when`` holds, rendered (in a Jinja sandbox) for the
    project at ``root``."""
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(keep_trailing_newline=True, **(config.get("_envops") or {}))
    commands = []
    for task in found:
        extra = {f"_{k}": v for k, v in task.extra.items()}
        values = {"_copier_python": sys.executable, "_folder_name": root.name, **context, **extra}

        def render(text: str, values: dict[str, Any] = values) -> str:
            return env.from_string(text).render(values)

        if render(task.when).strip().lower() in _FALSE:
            continue
        cmd = render(task.cmd) if isinstance(task.cmd, str) else [render(str(p)) for p in task.cmd]
        variables = {k[1:].upper(): str(v) for k, v in extra.items()}
        commands.append(Command(cmd, root / render(task.working_directory), variables))
    return commands


def run(commands: list[Command]) -> int:
    """Run ``commands`` one after the other; TaskError on the first that fails."""
    for command in commands:
        done = subprocess.run(
            command.cmd,
            shell=isinstance(command.cmd, str),
            cwd=command.cwd,
            env={**os.environ, **command.env},
            check=False,
        )
        if done.returncode:
            raise TaskError(
                f"the template's command {command.cmd!r} failed (exit {done.returncode})"
            )
    return len(commands)

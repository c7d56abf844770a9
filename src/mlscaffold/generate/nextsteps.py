"""The "Next steps" that ``mlscaffold new`` prints: the template's own, from its template.yml.

A template lists them under ``next_steps`` in its ``template.yml`` (beside ``copier.yml``), one
shell line each, as Jinja rendered with the project's answers, so a step can depend on them::

    next_steps:
      - python -m venv .venv && . .venv/bin/activate
      - pip install torch --index-url {{ torch_index_url }}
      - "{% if dataset == 'cifar10' %}python -m {{ package_name }} download{% endif %}"

A step that renders empty is dropped. The template may come from anyone, so the Jinja runs
sandboxed and control characters (terminal escapes) are removed: the steps are only printed,
never run. A template without the key shows no steps of its own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

KEY = "next_steps"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class NextStepsError(ValueError):
    """The template's ``next_steps`` cannot be shown, and why (one line)."""


def steps(template_dir: Path | None, answers: Mapping[str, Any]) -> list[str]:
    """The template's next steps rendered with ``answers`` ([] when it lists none)."""
    import yaml
    from jinja2 import TemplateError
    from jinja2.sandbox import SandboxedEnvironment

    meta_file = template_dir / "template.yml" if template_dir else None
    if meta_file is None or not meta_file.is_file():
        return []
    try:
        meta = yaml.safe_load(meta_file.read_text("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NextStepsError(f"template.yml cannot be read ({str(exc).splitlines()[0]})") from exc
    raw = meta.get(KEY) if isinstance(meta, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(step, str) for step in raw):
        raise NextStepsError(f"template.yml: `{KEY}` must be a list of strings")
    env = SandboxedEnvironment(keep_trailing_newline=False, autoescape=False)
    rendered = []
    for number, step in enumerate(raw, 1):
        try:
            line = env.from_string(step).render(**answers)
        except TemplateError as exc:
            raise NextStepsError(f"template.yml: {KEY} step {number}: {exc}") from exc
        line = _CONTROL.sub("", line).strip()
        if line:
            rendered.append(line)
    return rendered

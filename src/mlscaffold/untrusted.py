"""The one loader for YAML that others may have written: a project's answers file (anyone with
push access edits it) and a template's copier.yml.

The text is bounded in size, and its aliases in how far they expand: an alias bomb (a few lines
whose aliases expand to billions of values) is refused before anything walks it. An answers
file's fields are typed: ``_src_path`` and ``_commit`` are strings, keys are strings.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_BYTES = 1_000_000
MAX_NODES = 100_000  # values after expanding aliases; copier's own files hold a few hundred


class UntrustedYamlError(ValueError):
    """A YAML file was refused or cannot be read; the message says which and why."""


def _expanded(root: Any, limit: int) -> int:
    """How many nodes ``root`` holds with every alias expanded; ValueError past ``limit`` or for
    an alias that contains itself."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children = _children(node)
        if done:
            open_.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > limit:
                raise ValueError(f"its aliases expand to more than {limit:,} values")
            continue
        if key in sizes:
            continue
        if key in open_:
            raise ValueError("an alias contains itself")
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _children(node: Any) -> list[Any]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _documents(text: str, limit: int) -> Iterator[Any]:
    import yaml

    class Bounded(yaml.SafeLoader):
        def compose_document(self) -> Any:
            node = super().compose_document()
            _expanded(node, limit)
            return node

    yield from yaml.load_all(text, Loader=Bounded)  # a SafeLoader


def load_all(text: str, what: str, limit: int = MAX_NODES) -> list[Any]:
    """The YAML documents in ``text`` (from ``what``); UntrustedYamlError when it is too big, its
    aliases expand too far, or it is no valid YAML."""
    import yaml

    if len(text.encode("utf-8", "replace")) > MAX_BYTES:
        raise UntrustedYamlError(f"refused {what}: larger than {MAX_BYTES:,} bytes")
    try:
        return list(_documents(text, limit))
    except ValueError as exc:
        raise UntrustedYamlError(f"refused {what}: {exc}") from exc
    except (yaml.YAMLError, RecursionError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "nested too deeply"
        raise UntrustedYamlError(f"cannot read {what} ({reason})") from exc


def load(text: str, what: str) -> Any:
    """The single YAML document in ``text`` (None when empty); see ``load_all``."""
    documents = load_all(text, what)
    if len(documents) > 1:
        raise UntrustedYamlError(f"cannot read {what} (it holds several YAML documents)")
    return documents[0] if documents else None


def read_file(path: Path, what: str | None = None) -> Any:
    """``load`` of the file at ``path``, refused unread when larger than ``MAX_BYTES``."""
    what = what or str(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise UntrustedYamlError(f"refused {what}: larger than {MAX_BYTES:,} bytes")
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UntrustedYamlError(f"cannot read {what} ({exc})") from exc
    return load(text, what)


def answers(path: Path, name: str) -> dict[str, Any]:
    """The answers file at ``path`` (``name`` in messages): a mapping with string keys whose
    ``_src_path`` and ``_commit``, when present, are strings."""
    loaded = read_file(path, name)
    if loaded is None:
        return {}
    if not isinstance(loaded, dict) or not all(isinstance(k, str) for k in loaded):
        raise UntrustedYamlError(f"refused {name}: not a mapping of names to answers")
    for key in ("_src_path", "_commit"):
        value = loaded.get(key)
        if value is not None and not isinstance(value, str):
            kind = type(value).__name__
            raise UntrustedYamlError(
                f"refused {key} in {name}: {value!r} is a {kind}, not a "
                + ("template location" if key == "_src_path" else "version name")
                + f"; write it as a quoted string ({key}: '{value}')"
            )
    return loaded

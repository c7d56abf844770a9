"""The tool's package layout: each sub-package imports only the layers below it (README.md,
"Developing mlscaffold"), so a newcomer can read it bottom-up."""

from __future__ import annotations

import ast
from pathlib import Path

import mlscaffold

PACKAGE = Path(mlscaffold.__file__).parent
# Lower layers first; a module may import its own layer and those before it.
LAYERS = ["", "sources", "compose", "generate", "update", "commands", "cli", "launch", "__main__"]


def layer(module: str) -> int:
    """The layer of a dotted module path below ``mlscaffold`` (e.g. ``update.merge``)."""
    first = module.partition(".")[0]
    return LAYERS.index(first) if first in LAYERS[1:] else 0


def imported(path: Path) -> set[str]:
    """Every mlscaffold module or name ``path`` imports, anywhere in the file, as dotted paths
    below ``mlscaffold``."""
    own = list(path.relative_to(PACKAGE).with_suffix("").parts)
    found = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            parts = [*own[: len(own) - node.level], *(node.module or "").split(".")]
        elif (node.module or "").partition(".")[0] == "mlscaffold":
            parts = node.module.split(".")[1:]
        else:
            continue
        module = ".".join(p for p in parts if p)
        found.update(f"{module}.{alias.name}".strip(".") for alias in node.names)
    return found


def test_each_layer_imports_only_the_layers_below() -> None:
    breaches = []
    for path in sorted(PACKAGE.rglob("*.py")):
        own = ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        breaches += [f"{own} imports {t}" for t in imported(path) if layer(t) > layer(own)]
    assert not breaches, "\n".join(breaches)


def test_imports_are_read_relative_to_their_module() -> None:
    """The check above sees real imports (it would pass vacuously on an empty set)."""
    found = imported(PACKAGE / "update" / "apply.py")
    assert "sources.history" in found and "update.merge" in found
    assert layer("update.merge") > layer("sources.history") > layer("gitutil.git")

"""Every built-in template, rendered from the working tree, gives a project that passes its own
ruff config with the default answers and with a long project name (so its CI is green on the
first push)."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.sources import release

from .conftest import TEMPLATES

NAMES = release.template_names(TEMPLATES)
VARIANTS = ("defaults", "long-name")
MAX_LINES = 300


def render(name: str, variant: str, root: Path) -> Path:
    """Template ``name`` as it is in this checkout, rendered into ``root/project``."""
    import copier

    source = release.assemble(TEMPLATES, name, root / "template")
    data = {"project_name": f"e2e-{name}-portfolio-project"} if variant == "long-name" else {}
    project = root / "project"
    copier.run_copy(str(source), str(project), data=data, defaults=True, quiet=True)
    return project


@pytest.fixture(scope="module", params=[(n, v) for n in NAMES for v in VARIANTS], ids=str)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    name, variant = request.param
    return render(name, variant, tmp_path_factory.mktemp(f"{name}-{variant}"))


def ruff(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_project_passes_its_own_ruff_check(project: Path) -> None:
    result = ruff("check", "--output-format", "concise", ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_project_passes_its_own_ruff_format_check(project: Path) -> None:
    result = ruff("format", "--check", ".", cwd=project)
    assert result.returncode == 0, result.stdout + result.stderr


def package_dir(project: Path) -> Path:
    (package,) = [p for p in (project / "src").iterdir() if (p / "__init__.py").is_file()]
    return package


def module_name(package: Path, path: Path) -> str:
    """``a.b`` for ``package/a/b.py`` or ``package/a/b/__init__.py``; ``""`` for the package."""
    parts = path.relative_to(package).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(package: Path, path: Path, modules: set[str]) -> set[str]:
    """The package's own modules that ``path`` imports, in functions too: an import moved into a
    function to dodge a cycle still makes the two modules depend on each other."""
    here = module_name(package, path)
    parent = here.split(".") if path.name == "__init__.py" else here.split(".")[:-1]
    parent = [p for p in parent if p]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names if a.name.split(".")[0] == package.name]
            found |= {n.partition(".")[2] for n in names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parent[: len(parent) - node.level + 1]
            elif (node.module or "").split(".")[0] == package.name:
                base, node.module = [], (node.module or "").partition(".")[2]
            else:
                continue
            module = ".".join([*base, *filter(None, (node.module or "").split("."))])
            for alias in node.names:
                child = f"{module}.{alias.name}".lstrip(".")
                found.add(child if child in modules else module)
    return (found & modules) - {here}


def import_graph(project: Path) -> dict[str, set[str]]:
    package = package_dir(project)
    paths = {module_name(package, p): p for p in package.rglob("*.py")}
    return {name: imports_of(package, path, set(paths)) for name, path in paths.items()}


def test_the_package_has_no_import_cycles(project: Path) -> None:
    try:
        graphlib.TopologicalSorter(import_graph(project)).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


def test_no_module_is_over_300_lines(project: Path) -> None:
    lengths = {
        p.name: len(p.read_text("utf-8").splitlines()) for p in package_dir(project).rglob("*.py")
    }
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}

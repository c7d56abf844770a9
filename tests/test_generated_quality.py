"""Every built-in template, rendered from this checkout, gives a project that reads like its
owner's (issue #30): it passes its own ruff config with the default answers and with a long
project name (so its CI is green on the first push), its package has no import cycle and no
module over 300 lines, and its README and model card do not speak as the template."""

from __future__ import annotations

import ast
import graphlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.sources import release

from .conftest import TEMPLATES, capability_questions

NAMES = release.template_names(TEMPLATES)
VARIANTS = ("defaults", "long-name", "everything-on", "long-name-everything-on")
MAX_LINES = 300
# Lines of Python under src/ at the default answers (shared modules included). Issue #30 asks for
# about 3,000; these are the sizes reached so far: ceilings that may only come down.
DEFAULT_CODE_CEILING = {
    "image_classifier": 3794,
    "mlops": 3091,
    "nlp": 3609,
    "recommender": 3486,
    "timeseries": 3094,
}


def render(name: str, variant: str, root: Path) -> Path:
    """Template ``name`` as it is in this checkout, rendered into ``root/project``."""
    import copier

    source = release.assemble(TEMPLATES, name, root / "template")
    data: dict[str, object] = {}
    if "long-name" in variant:  # 43 characters, as the e2e matrix's: long imports must wrap
        data["project_name"] = "acme-lab-machine-learning-portfolio-project"
    if "everything-on" in variant:  # the matrix's custom answers are long-named and all on
        data |= dict.fromkeys(capability_questions(name), True)
    project = root / "project"
    copier.run_copy(str(source), str(project), data=data, defaults=True, quiet=True)
    return project


_RENDERED: dict[tuple[str, str], Path] = {}


def rendered(name: str, variant: str, factory: pytest.TempPathFactory) -> Path:
    """``render`` once per template and variant in this process."""
    if (name, variant) not in _RENDERED:
        _RENDERED[name, variant] = render(name, variant, factory.mktemp(f"{name}-{variant}"))
    return _RENDERED[name, variant]


@pytest.fixture(params=[(n, v) for n in NAMES for v in VARIANTS], ids=str)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return rendered(*request.param, tmp_path_factory)


@pytest.fixture(params=[(n, v) for n in NAMES for v in ("defaults", "everything-on")], ids=str)
def shaped_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The default and the everything-on project of each template."""
    return rendered(*request.param, tmp_path_factory)


@pytest.fixture(params=NAMES)
def default_project(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    return request.param, rendered(request.param, "defaults", tmp_path_factory)


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


def test_the_package_has_no_import_cycles(shaped_project: Path) -> None:
    try:
        graphlib.TopologicalSorter(import_graph(shaped_project)).prepare()
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle: {' -> '.join(cycle.args[1])}")


def line_counts(project: Path) -> dict[str, int]:
    return {
        p.name: len(p.read_text("utf-8").splitlines()) for p in package_dir(project).rglob("*.py")
    }


def test_no_module_is_over_300_lines(shaped_project: Path) -> None:
    lengths = line_counts(shaped_project)
    assert {name: n for name, n in lengths.items() if n > MAX_LINES} == {}


def test_the_default_project_is_lean(default_project: tuple[str, Path]) -> None:
    name, project = default_project
    assert capability_questions(name), "advanced capabilities are questions"
    assert sum(line_counts(project).values()) <= DEFAULT_CODE_CEILING[name]


# Sentences in the template's voice, not the owner's (issue #30); the README's closing line,
# which says where the project was started from, is the one place mlscaffold is named.
TEMPLATE_VOICE = (
    "template",
    "mlscaffold",
    "the authors",
    "not measured yet",
    "when the template was written",
    "the hard way",
    "portfolio project",
    "teaching example",
    "worked example",
)
CARD_SOURCES = {  # the module that writes each template's MODEL_CARD.md text
    "image_classifier": "results.py",
    "mlops": "reporting.py",
    "nlp": "report.py",
    "recommender": "report.py",
    "timeseries": "report.py",
}


def card_strings(path: Path) -> list[str]:
    """The string literals of ``path`` that can end up in a card (docstrings cannot)."""
    tree = ast.parse(path.read_text("utf-8"))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in docstrings
    ]


def voice_phrases(text: str) -> list[str]:
    lower = text.lower()
    return [phrase for phrase in TEMPLATE_VOICE if phrase in lower]


def test_the_readme_speaks_as_the_owner(default_project: tuple[str, Path]) -> None:
    name, project = default_project
    *body, closing = (project / "README.md").read_text("utf-8").rstrip().splitlines()
    assert closing.startswith(f"Started from the `{name}` template of mlscaffold")
    offending = [line for line in body if voice_phrases(line)]
    assert offending == []
    for heading in ("## The problem", "## The data and why", "## What I tried", "## What is next"):
        assert heading in body, heading
    assert "## Layout" in body and "*kept* files" in closing


def test_the_model_card_text_speaks_as_the_owner(default_project: tuple[str, Path]) -> None:
    name, project = default_project
    package = package_dir(project)
    for source in ("modelcard.py", CARD_SOURCES[name]):
        found = {t: voice_phrases(t) for t in card_strings(package / source) if voice_phrases(t)}
        assert found == {}, source


def test_the_default_description_is_not_the_template_s(default_project: tuple[str, Path]) -> None:
    _, project = default_project
    description = (project / "README.md").read_text("utf-8").splitlines()[2]
    assert description and not voice_phrases(description), description


def test_the_layout_names_the_shared_modules_it_has(default_project: tuple[str, Path]) -> None:
    """The README's Layout section marks the shared helpers as kept: it names every one the
    project has (none may be left out) and none it does not have."""
    name, project = default_project
    shared = TEMPLATES / "_shared" / "project" / "src" / "{{package_name}}"
    modules = {re.sub(r"\{%.*?%\}", "", p.name) for p in shared.glob("*.py")}
    package = next(p for p in (project / "src").iterdir() if p.is_dir())
    layout = (project / "README.md").read_text("utf-8").split("## Layout", 1)[1]
    named = {m for m in modules if f"`{m}`" in layout}
    assert named == {m for m in modules if (package / m).is_file()}, name

"""A template without --trust reads nothing from the machine (environment variables, the home
folder, the file system) through Jinja filters, cannot blow up a render with ``*`` or ``**``,
stays within the size limits, and renders no names that collide on macOS or Windows."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from mlscaffold import jinjaguard, safety
from mlscaffold.gitutil import git

from .trustkit import evil_template, fingerprint, one_line_error
from .updatekit import cli_run, isolate, release

MARKER = "MARKER-token-4c1d"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path with a HOME holding a secret file, and the secret in the environment."""
    home = isolate(tmp_path / "home", monkeypatch)
    (home / ".secrets").mkdir()
    (home / ".secrets" / f"{MARKER}.key").write_text("k\n", "utf-8")
    monkeypatch.setenv("CI_TOKEN", MARKER)
    monkeypatch.chdir(tmp_path)
    return tmp_path


READERS = {
    "expandvars": "{{ '$CI_TOKEN' | expandvars }}",
    "expanduser": "{{ '~/.secrets' | expanduser }}",
    "fileglob": "{{ 'HOME/.secrets/*' | fileglob }}",
    "realpath": "{{ 'home/.secrets' | realpath }}",
    "relpath": "{{ '/' | relpath }}",
}


def _everything(root: Path) -> str:
    """Every file's text and every commit message under ``root``, and the folders' names."""
    texts = [str(p) for p in root.rglob("*")]
    texts += [p.read_text("utf-8", "replace") for p in root.rglob("*") if p.is_file()]
    return "\n".join(texts)


@pytest.mark.parametrize("where", ["file", "question default"])
@pytest.mark.parametrize("filter_", READERS)
def test_machine_reading_filters_are_refused_without_trust(
    site: Path, filter_: str, where: str
) -> None:
    expression = READERS[filter_].replace("HOME", str(site / "home"))
    if where == "file":
        template = evil_template(site / "template", {"leak.txt.jinja": expression + "\n"})
    else:
        settings = {"token": {"type": "str", "default": expression}}
        template = evil_template(site / "template", {}, settings=settings)
    before = fingerprint(site / "home")
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert f"the {filter_} filter reads" in line and "--trust" in line
    assert MARKER not in result.output and str(site / "home") not in result.output
    assert not (site / "work").exists() or not any((site / "work").iterdir())
    assert fingerprint(site / "home") == before


def test_with_trust_the_filters_work_as_in_copier(site: Path) -> None:
    template = evil_template(site / "template", {"leak.txt.jinja": READERS["expandvars"] + "\n"})
    result = cli_run("new", template, site / "proj", "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert (site / "proj" / "leak.txt").read_text("utf-8") == MARKER + "\n"


def test_a_filter_in_a_new_release_is_refused_on_update_and_diff(site: Path) -> None:
    template = release(site / "template", "0.1.0", {"a.txt": "a\n"}, {})
    project = site / "proj"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"leak.txt.jinja": READERS["expandvars"] + "\n"}, {})
    before = fingerprint(project)
    for command in (("update", project, "--defaults"), ("diff", "--upstream", project)):
        result = cli_run(*command)
        assert result.exit_code == 1
        assert "the expandvars filter reads" in one_line_error(result.output)
        assert MARKER not in result.output
    assert fingerprint(project) == before
    assert MARKER not in git("log", "-p", "--all", cwd=project)


# jinja2-ansible-filters' filters that read nothing but their arguments
REVIEWED = """
    ans_groupby b64decode b64encode to_uuid to_json to_nice_json from_json to_yaml to_nice_yaml
    from_yaml from_yaml_all basename dirname splitext win_basename win_dirname win_splitdrive bool
    to_datetime strftime quote md5 sha1 checksum hash regex_replace regex_escape regex_search
    regex_findall ternary random shuffle flatten combine extract comment mandatory random_mac
    subelements dict2items items2dict type_debug ans_random
"""


def test_no_other_filter_or_global_of_copiers_environment_reads_the_machine() -> None:
    """The inventory of what copier's Jinja environment offers (its default extensions): a new
    filter or global in copier or jinja2-ansible-filters fails here until it is reviewed."""
    from copier._jinja_ext import YieldExtension  # the extension copier always loads
    from jinja2.sandbox import SandboxedEnvironment

    jinjaguard.install()
    env = SandboxedEnvironment(
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension", YieldExtension]
    )
    guarded = {n for n, f in env.filters.items() if getattr(f, "mlscaffold_guarded", False)}
    assert guarded == set(jinjaguard.HOST_READERS)
    pure = set(env.filters) - guarded
    reviewed = set(SandboxedEnvironment().filters) | set(REVIEWED.split())
    assert pure <= reviewed, sorted(pure - reviewed)
    assert set(env.globals) <= {"range", "dict", "lipsum", "cycler", "joiner", "namespace"}


@pytest.mark.parametrize(
    "expression", ["{{ 'x' * 50000000 }}", "{{ [0] * 99999999 }}", "{{ 9 ** 9999999 }}"]
)
def test_blowing_up_a_render_is_refused_without_trust(site: Path, expression: str) -> None:
    template = evil_template(site / "template", {"big.txt.jinja": expression + "\n"})
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    assert "only a template you pass --trust for" in one_line_error(result.output)
    assert not (site / "work").exists() or not any((site / "work").iterdir())


def test_size_limits_hold_for_the_template_and_the_render_and_trust_lifts_them(
    site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(safety, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(safety, "MAX_FILES", 20)
    stored = evil_template(site / "stored", {"blob.bin": "x" * 1001})
    loop = "{% for i in range(3000) %}x{% endfor %}\n"  # 20 bytes rendering 3 kB
    rendered = evil_template(site / "rendered", {"grow.txt.jinja": loop})
    many = evil_template(site / "many", {f"f{i}.txt": "x\n" for i in range(25)})
    for template, problem in [
        (stored, "blob.bin is larger than"),
        (rendered, "grow.txt is larger than"),
        (many, "more than 20 files"),
    ]:
        result = cli_run("new", template, site / "work" / "proj", "--defaults")
        assert result.exit_code == 1
        line = one_line_error(result.output)
        assert "too big for a template you do not trust" in line and problem in line, line
        assert not (site / "work").exists() or not any((site / "work").iterdir())
    result = cli_run("new", rendered, site / "trusted", "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert len((site / "trusted" / "grow.txt").read_text("utf-8")) == 3001


NFC = unicodedata.normalize("NFC", "café.txt")
NFD = unicodedata.normalize("NFD", "café.txt")


@pytest.mark.parametrize(("a", "b"), [("README.md", "readme.md"), (NFC, NFD)], ids=["case", "nfd"])
def test_names_colliding_on_macos_or_windows_are_refused_or_warned(
    site: Path, a: str, b: str
) -> None:
    template = evil_template(site / "template", {"x/" + a: "one\n", "x/" + b: "two\n"})
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "case-insensitive or Unicode-normalising" in line and "--trust" in line
    assert not (site / "work").exists() or not any((site / "work").iterdir())
    result = cli_run("new", template, site / "trusted", "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert "Warning: " in result.stderr and "only one of them survives" in result.stderr

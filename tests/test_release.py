import json
import shutil
from pathlib import Path

from mlscaffold.gitutil import git
from mlscaffold.sources import release

from .conftest import REPO, TEMPLATES


def test_assemble_overlays_the_template_on_the_shared_files(tmp_path: Path) -> None:
    out = release.assemble(TEMPLATES, "recommender", tmp_path / "t")
    copier_yml = (out / "copier.yml").read_text()
    assert copier_yml.index("project_name:") < copier_yml.index("dataset:")
    assert (out / "project" / "Dockerfile.jinja").is_file()
    assert (out / "project" / ".github" / "workflows" / "ci.yml.jinja").is_file()
    own = TEMPLATES / "recommender" / "project"
    for path in own.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = path.relative_to(own)
            assert (out / "project" / rel).read_bytes() == path.read_bytes()


def test_templates_do_not_redefine_common_questions() -> None:
    import yaml

    common = set(yaml.safe_load((TEMPLATES / "_shared" / "copier.yml").read_text()))
    for name in release.template_names(TEMPLATES):
        own = set(yaml.safe_load((TEMPLATES / name / "copier.yml").read_text()) or {})
        assert not own & common, f"{name} repeats {own & common}"


def test_publish_appends_versions_and_keeps_old_ones(tmp_path: Path) -> None:
    templates = shutil.copytree(TEMPLATES, tmp_path / "templates")
    histories = shutil.copytree(REPO / "src" / "mlscaffold" / "histories", tmp_path / "h")
    release.publish(templates, histories, summary="x")  # whatever is unpublished here
    before = json.loads((histories / "index.json").read_text())
    assert release.publish(templates, histories) == {}  # nothing changed since
    (templates / "recommender" / "project" / "NOTES.md").write_text("new in this release\n")
    assert release.unpublished(templates, histories) == ["recommender"]
    released = release.publish(templates, histories, summary="Notes.")
    old = before["recommender"]["versions"][-1]
    assert released == {"recommender": release.next_version(old, "minor")}
    heads = git("bundle", "list-heads", str(histories / "recommender.bundle"))
    for version in [*before["recommender"]["versions"], released["recommender"]]:
        assert f"refs/tags/{version}" in heads
    assert release.unpublished(templates, histories) == []


def test_every_template_change_is_published() -> None:
    """A template edited without `python -m mlscaffold.sources.release publish` would ship stale."""
    assert release.unpublished(TEMPLATES, REPO / "src" / "mlscaffold" / "histories") == []


def test_next_version() -> None:
    assert release.next_version(None, "minor") == "0.1.0"
    assert release.next_version("0.1.0", "patch") == "0.1.1"
    assert release.next_version("0.1.3", "minor") == "0.2.0"
    assert release.next_version("0.4.0", "major") == "1.0.0"

"""Assemble built-in templates from their sources and publish new versions into their histories.

Run from the repository root:

    python -m mlscaffold.sources.release assemble NAME DIR   # the plain copier template NAME in DIR
    python -m mlscaffold.sources.release publish   # record changed templates as new versions

Each template's ``CHANGELOG.md`` goes into its history beside copier.yml; ``publish`` names its
``## Unreleased`` section after the new version (``--summary TEXT`` writes one where there is none).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import yaml

from ..gitutil import git
from . import changelog

SHARED = "_shared"
BRANCH = "main"
RELEASER = ["-c", "user.name=mlscaffold release", "-c", "user.email=release@mlscaffold.invalid"]


def template_names(templates_dir: Path) -> list[str]:
    """Names of the templates in ``templates_dir`` (every folder with a copier.yml, but _shared)."""
    return sorted(
        p.name for p in templates_dir.iterdir() if p.name != SHARED and (p / "copier.yml").is_file()
    )


def assemble(templates_dir: Path, name: str, dest: Path) -> Path:
    """Write template ``name`` as a plain copier template into ``dest`` (which must not exist).

    The result is ``_shared/copier.yml`` followed by ``<name>/copier.yml``, and ``_shared/project``
    overlaid with ``<name>/project`` (the template's own file wins).
    """
    shared, own = templates_dir / SHARED, templates_dir / name
    if not (own / "copier.yml").is_file():
        raise ValueError(f"no template {name!r} in {templates_dir}")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(shared / "project", dest / "project", ignore=ignore)
    if (own / "project").is_dir():
        shutil.copytree(own / "project", dest / "project", ignore=ignore, dirs_exist_ok=True)
    questions = (shared / "copier.yml").read_text("utf-8").rstrip() + "\n\n"
    (dest / "copier.yml").write_text(questions + (own / "copier.yml").read_text("utf-8"), "utf-8")
    shutil.copy2(own / "template.yml", dest / "template.yml")
    if (own / changelog.FILE).is_file():
        shutil.copy2(own / changelog.FILE, dest / changelog.FILE)
    return dest


def next_version(latest: str | None, bump: str) -> str:
    """The version after ``latest`` for a ``major``, ``minor`` or ``patch`` bump (first: 0.1.0)."""
    if latest is None:
        return "0.1.0"
    major, minor, patch = (int(part) for part in latest.split("."))
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def _stage(templates_dir: Path, histories_dir: Path, name: str, work: Path) -> Path:
    """Check out the history of ``name`` in ``work`` with the current sources staged over it."""
    repo, bundle = work / "repo", histories_dir.resolve() / f"{name}.bundle"
    if bundle.is_file():
        git("clone", "--quiet", "--branch", BRANCH, str(bundle), str(repo))
    else:
        git("init", "--quiet", "--initial-branch", BRANCH, str(repo))
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    assembled = assemble(templates_dir, name, work / "assembled")
    shutil.copytree(assembled, repo, dirs_exist_ok=True)
    git("add", "--all", cwd=repo)
    return repo


def unpublished(templates_dir: Path, histories_dir: Path) -> list[str]:
    """Templates whose sources differ from the newest version in their history."""
    changed = []
    for name in template_names(templates_dir):
        with tempfile.TemporaryDirectory() as work:
            if git(
                "status", "--porcelain", cwd=_stage(templates_dir, histories_dir, name, Path(work))
            ):
                changed.append(name)
    return changed


def _require_changelogs(templates_dir: Path, histories_dir: Path, summary: str | None) -> None:
    """Refuse (ValueError, before anything is published) when a changed template's changelog
    does not say what its new version changes and no ``summary`` does."""
    lacking = [
        name
        for name in template_names(templates_dir)
        if not changelog.has_unreleased(templates_dir / name / changelog.FILE)
    ]
    if summary or not lacking:
        return
    if missing := sorted(set(lacking) & set(unpublished(templates_dir, histories_dir))):
        raise ValueError(
            f"no '## {changelog.UNRELEASED}' section in the CHANGELOG.md of "
            f"{', '.join(missing)}: say what the new version changes there (its first line is "
            "the summary users see), or pass --summary TEXT"
        )


def publish(
    templates_dir: Path, histories_dir: Path, bump: str = "minor", summary: str | None = None
) -> dict[str, str]:
    """Record each changed template as a new tagged version in its history, its changelog's
    ``Unreleased`` section (or ``summary``) becoming that version's; return the versions."""
    _require_changelogs(templates_dir, histories_dir, summary)
    index_path = histories_dir / "index.json"
    index = json.loads(index_path.read_text("utf-8")) if index_path.is_file() else {}
    released = {}
    for name in template_names(templates_dir):
        entry = index.get(name, {"versions": []})
        with tempfile.TemporaryDirectory() as work:
            repo = _stage(templates_dir, histories_dir, name, Path(work))
            if not git("status", "--porcelain", cwd=repo):
                continue
            version = next_version(entry["versions"][-1] if entry["versions"] else None, bump)
            changelog.stamp(templates_dir / name / changelog.FILE, version, summary)
            shutil.copy2(templates_dir / name / changelog.FILE, repo / changelog.FILE)
            git("add", changelog.FILE, cwd=repo)
            git(*RELEASER, "commit", "--quiet", "-m", f"{name} {version}", cwd=repo)
            git(*RELEASER, "tag", "-a", version, "-m", f"{name} {version}", cwd=repo)
            partial = histories_dir.resolve() / f"{name}.bundle.partial"
            git("bundle", "create", "--quiet", str(partial), "--all", cwd=repo)
            partial.replace(histories_dir / f"{name}.bundle")
            meta = yaml.safe_load((templates_dir / name / "template.yml").read_text("utf-8"))
            index[name] = {
                "title": meta["title"],
                "description": meta["description"],
                "versions": [*entry["versions"], version],
            }
            released[name] = version
    index_path.write_text(json.dumps(index, indent=2, sort_keys=True) + "\n", "utf-8")
    return released


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m mlscaffold.sources.release``."""
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mlscaffold.sources.release", description=__doc__
    )
    parser.add_argument("--templates", type=Path, default=Path("templates"))
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("assemble", help="write one template as a plain copier template")
    cmd.add_argument("name")
    cmd.add_argument("dest", type=Path)
    cmd = sub.add_parser("publish", help="record changed templates as new versions")
    cmd.add_argument("--bump", choices=["major", "minor", "patch"], default="minor")
    cmd.add_argument("--histories", type=Path, default=Path("src/mlscaffold/histories"))
    cmd.add_argument(
        "--summary", help="what the new versions change, for changelogs without an Unreleased entry"
    )
    args = parser.parse_args(argv)
    if args.command == "assemble":
        print(assemble(args.templates, args.name, args.dest))
    else:
        args.histories.mkdir(parents=True, exist_ok=True)
        try:
            released = publish(args.templates, args.histories, args.bump, args.summary)
        except ValueError as exc:
            parser.error(str(exc))
        for name, version in released.items():
            print(f"{name} {version}")
        if not released:
            print("no template changed since its last release")


if __name__ == "__main__":
    main()

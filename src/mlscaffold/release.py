"""Assemble built-in templates from their sources and publish new versions into their histories.

Run from the repository root:

    python -m mlscaffold.release assemble NAME DIR   # write the plain copier template NAME into DIR
    python -m mlscaffold.release publish             # record changed templates as new versions
"""

from __future__ import annotations

import shutil
from pathlib import Path

SHARED = "_shared"


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
    shutil.copytree(own / "project", dest / "project", ignore=ignore, dirs_exist_ok=True)
    questions = (shared / "copier.yml").read_text("utf-8").rstrip() + "\n\n"
    (dest / "copier.yml").write_text(questions + (own / "copier.yml").read_text("utf-8"), "utf-8")
    shutil.copy2(own / "template.yml", dest / "template.yml")
    return dest


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m mlscaffold.release``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mlscaffold.release", description=__doc__)
    parser.add_argument("--templates", type=Path, default=Path("templates"))
    sub = parser.add_subparsers(dest="command", required=True)
    cmd = sub.add_parser("assemble", help="write one template as a plain copier template")
    cmd.add_argument("name")
    cmd.add_argument("dest", type=Path)
    args = parser.parse_args(argv)
    if args.command == "assemble":
        print(assemble(args.templates, args.name, args.dest))


if __name__ == "__main__":
    main()

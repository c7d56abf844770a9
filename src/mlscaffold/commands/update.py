"""``mlscaffold update``: bring a generated project to a newer template version."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .errors import friendly_errors
from .many import counted, pick, progress, project_options, table

if TYPE_CHECKING:
    from ..project import Project
    from ..sources.changelog import Entry
    from ..update.apply import Plan, UpdateResult
    from ..update.fleet import Target
    from ..update.fleetupdate import Options
    from ..update.relock import Relocked


@click.command()
@project_options
@click.option(
    "--to", "to", metavar="VERSION", help="Template version to update to (default: newest)."
)
@click.option("--defaults", is_flag=True, help="Answer new questions with their defaults.")
@click.option("-d", "--data", multiple=True, metavar="KEY=VALUE", help="An answer (repeatable).")
@click.option(
    "--data-file", type=click.Path(dir_okay=False, path_type=Path), help="A YAML file of answers."
)
@click.option("--dry-run", is_flag=True, help="Show what would change; change nothing.")
@click.option(
    "--trust",
    is_flag=True,
    help="Let a template from outside run tasks, migrations and Jinja extensions.",
)
@click.option(
    "--force-overwrite",
    "force",
    multiple=True,
    metavar="PATH",
    help="Let the update replace this untracked or ignored file (repeatable).",
)
@click.option(
    "--pr-branch",
    metavar="BRANCH",
    help="Commit the update on BRANCH, made afresh from HEAD, conflict markers included (for an "
    "update pull request; exit 0 with conflicts, as they are committed).",
)
@click.option(
    "--pr-body",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a pull request's description of the update to this file (nothing when there is "
    "nothing to update).",
)
@friendly_errors
def update(
    paths: tuple[Path, ...],
    search: Path | None,
    answers_file: str | None,
    to: str | None,
    defaults: bool,
    data: tuple[str, ...],
    data_file: Path | None,
    dry_run: bool,
    trust: bool,
    force: tuple[str, ...],
    pr_branch: str | None,
    pr_body: Path | None,
) -> None:
    """Merge the template's newer version into the project at PATH (default: here).

    Your edits are kept, the template's changes applied; conflicts are left as ordinary git
    conflicts (exit code 1). Nothing is committed: review with `git diff --cached`, then commit.
    Files git does not track (ignored ones included) are never replaced: the update stops and
    lists them. Without --to it never moves to an older version.

    With several projects (or templates), or --all DIR: each is updated in turn (new questions
    need --defaults or --data), one failing does not stop the others, a failure part way restores
    that project as it was, and a summary table ends the run (exit 1 if any has conflicts, was
    refused or failed).
    """
    from ..compose import extends as compose
    from ..generate import answers as ans
    from ..update import apply as upd
    from ..update import versions
    from ..update.fleetupdate import Options, restore, save

    given = ans.given_answers(data_file, data)
    found = pick(paths, search, answers_file)
    if (pr_branch or pr_body) and (len(found) > 1 or search or dry_run):
        raise click.UsageError("--pr-branch and --pr-body take one project, and no --dry-run")
    if len(found) > 1 or search:
        _update_many(found, Options(to, given, defaults, dry_run, trust, force))
        return
    prompt = None if defaults else ans.prompt
    plan = upd.plan(found[0].path, to, given, prompt, trust, force, found[0].answers_file)
    current = compose.label(plan.current, plan.recorded_bases)
    target = compose.label(plan.target, plan.bases)
    name = f"{plan.project.root} ({plan.origin.label} {current} -> {target})"
    if not plan.needed:
        where = f"{plan.origin.label} {current}"
        if plan.relation == versions.AHEAD:
            where += ", ahead of its newest release; nothing to update to"
        elif plan.relation == versions.DIVERGED:
            where += ", a commit the newest release does not contain; `--to VERSION` moves it"
        state = "diverged from" if plan.relation == versions.DIVERGED else "up to date with"
        click.echo(f"{plan.project.root} is {state} its template ({where})")
        return
    saved = None if dry_run else save(plan.project.root, plan.force)
    try:
        result = upd.run(plan, dry_run=dry_run)
    except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP
        if saved is not None:
            restore(saved)
        raise click.ClickException(
            f"interrupted; {plan.project.root} was put back as it was (nothing changed)"
        ) from None
    click.secho(("Would update " if dry_run else "Updated ") + name, fg="green", bold=True)
    entries = _print_changes(plan)
    relocked = _relock(plan, result, dry_run)
    _report(result, dry_run, plan.project)
    if pr_branch or pr_body:
        _pull_request(plan, result, entries, pr_branch, pr_body, relocked)
    conflicted = (result.conflicts or result.set_aside) and not dry_run and not pr_branch
    if conflicted or result.blocked:
        sys.exit(1)


def _relock(plan: Plan, result: UpdateResult, dry_run: bool) -> Relocked | None:
    """Regenerate the project's uv.lock when the update asks for it (a dry run: say whether it
    would); what was done (None in a dry run: nothing was)."""
    from ..update.relock import for_update
    from .locking import say_relocked

    done = for_update(plan.project.root, result, dry_run=dry_run, trusted=plan.origin.trusted)
    say_relocked(done)
    return None if dry_run else done


def _update_many(found: list[Target], options: Options) -> None:
    from ..update.fleetupdate import CONFLICTS, update_all

    try:
        with progress(len(found), "Updating") as advance:
            outcomes = update_all(found, options, advance)
    except KeyboardInterrupt:
        raise click.ClickException(
            "interrupted; the project being updated was put back as it was, the ones before it "
            "are updated (nothing committed)"
        ) from None
    rows = [
        (o.project, o.template, o.versions, o.result + (f": {o.detail}" * bool(o.detail)))
        for o in outcomes
    ]
    click.echo(table(("project", "template", "version", "result"), rows))
    for outcome in outcomes:
        if outcome.result == CONFLICTS:
            text = [c for c in outcome.conflicts if c not in outcome.binary]
            for line in conflict_lines(text, list(outcome.binary), f" in {outcome.project}"):
                click.secho(line, fg="red", err=True)
    verb = "checked (dry run: nothing was changed)" if options.dry_run else "handled"
    click.echo(counted(len(outcomes), verb, [o.result for o in outcomes]))
    if not options.dry_run and any(o.result in ("updated", CONFLICTS) for o in outcomes):
        click.echo("Nothing is committed: review each with `git diff --cached`, then commit.")
    if any(o.failed for o in outcomes):
        sys.exit(1)


def _print_changes(plan: Plan) -> list[Entry] | None:
    """Print, and return, what the template's versions between the project's and the target
    changed (None: the template keeps no changelog)."""
    from ..sources.changelog import pending, summary_lines

    if plan.target == plan.current:
        return []
    entries = pending(plan.origin, plan.current, plan.target)
    click.echo(f"What {plan.origin.label} changed since {plan.current}:")
    for line in summary_lines(entries, plan.origin.label):
        click.echo(f"  {line}")
    return entries


def _pull_request(
    plan: Plan,
    result: UpdateResult,
    entries: list[Entry] | None,
    branch: str | None,
    body_file: Path | None,
    relocked: Relocked | None,
) -> None:
    """Commit the update on ``branch`` and write the pull request's description (``relocked``:
    what the update did to uv.lock)."""
    from ..update import updatepr

    label, current, target = plan.origin.label, plan.current, plan.target
    if branch:
        updatepr.commit_on_branch(plan.project, branch, updatepr.title(label, current, target))
        click.echo(
            f"Committed on branch {branch}" + " (with the conflicts)" * bool(result.conflicts)
        )
    if body_file:
        lock = relocked.done if relocked and relocked.ok else None
        text = updatepr.body(
            label, current, target, entries, result.changes, result.conflicts, lock
        )
        body_file.write_text(text, "utf-8")


def _report(result: UpdateResult, dry_run: bool, project: Project) -> None:
    for what, file in result.changes:
        click.echo(f"  {what:9} {file}")
    if result.not_staged:
        click.echo(
            "Written but not staged (your .gitignore ignores them; `git add -f` to commit one "
            "anyway): " + ", ".join(result.not_staged)
        )
    if result.kept:
        click.echo(
            "Kept (the template removed them, you had changed them): " + ", ".join(result.kept)
        )
    if result.left_deleted:
        click.echo(
            "Left deleted (the template changed them, you had deleted them): "
            + ", ".join(result.left_deleted)
        )
    if result.left_alone:
        click.echo(
            "Left as you have them (_skip_if_exists; the template changed them): "
            + ", ".join(result.left_alone)
        )
    if result.skipped:
        what = " and ".join(f"{n} {kind}" for kind, n in result.skipped.items())
        why = "dry run" if dry_run else "they run code; pass --trust to run them"
        click.echo(f"Skipped the template's {what} ({why})")
    if result.ran:
        click.echo(f"Ran {result.ran} task(s) and migration(s) of the template in the project")
    if result.blocked:
        click.secho(
            "Would stop: the update would replace files git does not track: "
            + " ".join(result.blocked)
            + " (move them, or pass --force-overwrite PATH for each)",
            fg="red",
            err=True,
        )
    for path, aside, whose in result.set_aside:
        other = "the template's folder" if whose == "your" else "your folder"
        click.secho(
            f"File/folder conflict: {path} is now {other}; {whose} file {path} is kept as {aside} "
            "(untracked): move what you need from it, then delete it",
            fg="red",
            err=True,
        )
    if result.conflicts and dry_run:
        click.secho("Would conflict: " + ", ".join(result.conflicts), fg="red", err=True)
    elif result.conflicts:
        text = [c for c in result.conflicts if c not in result.binary]
        for line in conflict_lines(text, result.binary):
            click.secho(line, fg="red", err=True)
    if dry_run:
        click.echo("Dry run: nothing was changed.")
    else:
        click.echo(_next_step(project))


def conflict_lines(text: list[str], binary: list[str], where: str = "") -> list[str]:
    """How to resolve conflicts in ``text`` files (with ``<<<<<<<`` markers) and ``binary`` ones
    (none: the file holds your version)."""
    lines = []
    if text:
        fix = "fix the <<<<<<< blocks, then `git add`"
        lines.append(f"Conflicts{where} ({fix}): " + ", ".join(text))
    if binary:
        lines.append(
            f"Binary conflicts{where} (no markers; the file holds your version: `git add` it to "
            "keep yours, or `git checkout --theirs -- FILE` then `git add` for the template's): "
            + ", ".join(binary)
        )
    return lines


def _next_step(project: Project) -> str:
    if not project.prefix:
        return "Nothing is committed: review with `git diff --cached`, then commit."
    return (
        f"Nothing is committed: in {project.root} review with `git diff --cached -- .`, then "
        "commit the update alone with `git commit -- .` (changes you staged elsewhere in the "
        "repository stay staged)."
    )

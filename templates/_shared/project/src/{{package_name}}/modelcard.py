"""MODEL_CARD.md, written by ``report`` from the run's own files (never typed by hand)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

HEADER = "<!-- Written by `report` from the run's files; edits here are overwritten. -->"


@dataclass
class ModelCard:
    """What a reviewer needs to judge a model: use, data, metrics with intervals, limits."""

    title: str
    summary: str
    intended_use: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    metrics: list[dict] = field(default_factory=list)
    metrics_note: str = ""
    limitations: list[str] = field(default_factory=list)
    ethics: list[str] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)


def _cell(value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).replace("|", "\\|").replace("\n", " ")


def _bullets(items: list[str]) -> list[str]:
    return [f"- {item}" for item in items] if items else ["- Not stated."]


def _metrics_table(rows: list[dict]) -> list[str]:
    if not rows:
        raise ValueError("a model card needs metrics: pass the evaluated rows (baselines included)")
    lines = ["| Model | Metric | Value | 95% interval |", "|---|---|---|---|"]
    for row in rows:
        missing = {"model", "metric", "value"} - row.keys()
        if missing:
            raise ValueError(f"metrics row {row} lacks {', '.join(sorted(missing))}")
        low, high = row.get("low"), row.get("high")
        interval = "n/a" if low is None or high is None else f"{_cell(low)} to {_cell(high)}"
        cells = (_cell(row["model"]), _cell(row["metric"]), _cell(row["value"]), interval)
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def render_model_card(card: ModelCard) -> str:
    """The markdown text of ``card``."""
    lines = [HEADER, "", f"# Model card: {card.title}", "", card.summary.strip(), ""]
    sections = [
        ("Intended use", _bullets(card.intended_use)),
        ("Out of scope", _bullets(card.out_of_scope)),
        ("Data", _bullets(card.data)),
    ]
    metrics = _metrics_table(card.metrics)
    if card.metrics_note:
        metrics += ["", card.metrics_note.strip()]
    sections += [
        ("Metrics", metrics),
        ("Limitations", _bullets(card.limitations)),
        ("Ethical considerations", _bullets(card.ethics)),
    ]
    provenance = ["| Item | Value |", "|---|---|"]
    provenance += [f"| {_cell(k)} | {_cell(v)} |" for k, v in card.provenance.items()]
    sections.append(("Provenance", provenance if card.provenance else ["- Not recorded."]))
    for heading, body in sections:
        lines += [f"## {heading}", "", *body, ""]
    return "\n".join(lines).rstrip() + "\n"


def write_model_card(path: Path, card: ModelCard) -> None:
    """Write ``card`` as markdown to ``path``."""
    Path(path).write_text(render_model_card(card), encoding="utf-8")

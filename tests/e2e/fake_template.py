"""A tiny copier template that meets the contract with the shared modules: a one-feature
threshold model, trained, reported and served with a demo page. The harness's self-test
generates it; ``FAKE_BUG`` breaks the served API on purpose (500 or an undocumented status)."""

from __future__ import annotations

import shutil
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "templates" / "_shared" / "project" / "src"
SHARED_FILES = [
    "problems.py",
    "demo.py",
    "modelcard.py",
    "stats.py",
    "readme.py",
    "static/demo.css",
    "static/demo.js",
]
PKG = "src/{{package_name}}"

COPIER = """\
_subdirectory: project
_templates_suffix: .jinja
project_name:
  type: str
  default: fake-proj
package_name:
  type: str
  default: "{{ project_name | replace('-', '_') }}"
"""

TEMPLATE_YML = """\
title: Fake
description: The harness self-test's template
smoke:
  - python -m {package} make-data data/tiny.csv
  - python -m {package} train data/tiny.csv
  - python -m {package} report
predict: {method: GET, path: "/predict?x=0.8"}
demo:
  - {fill: "#x", value: "0.8"}
  - {click: "#go"}
"""

PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.24"]
build-backend = "hatchling.build"

[project]
name = "{{ project_name }}"
version = "0.1.0"
requires-python = ">=3.11"
dependencies = ["fastapi>=0.115", "numpy>=1.26", "uvicorn>=0.30"]

[project.optional-dependencies]
dev = []

[tool.hatch.build.targets.wheel]
packages = ["src/{{ package_name }}"]
"""

README = """\
# {{ project_name }}

<!-- results:start -->
_Run `report` to fill this in._
<!-- results:end -->
"""

MAIN = '''\
"""Commands: make-data PATH, train PATH, report, serve --host H --port P."""

import argparse
import csv
import json
import random
from pathlib import Path

from .modelcard import ModelCard, write_model_card
from .readme import markdown_table, write_results
from .stats import wilson_interval

MODEL = Path("artifacts/model.json")


def make_data(path: Path) -> None:
    rng = random.Random(0)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["x", "label"])
        for _ in range(200):
            x = rng.random()
            writer.writerow([f"{x:.4f}", "high" if x > 0.5 else "low"])


def train(path: Path) -> None:
    with path.open(newline="") as f:
        rows = [(float(r["x"]), r["label"]) for r in csv.DictReader(f)]
    low = max(x for x, label in rows if label == "low")
    high = min(x for x, label in rows if label == "high")
    threshold = (low + high) / 2
    correct = sum((x > threshold) == (label == "high") for x, label in rows)
    MODEL.parent.mkdir(exist_ok=True)
    MODEL.write_text(json.dumps({"threshold": threshold, "correct": correct, "n": len(rows)}))


def report() -> None:
    model = json.loads(MODEL.read_text())
    low, high = wilson_interval(model["correct"], model["n"])
    row = {"model": "threshold", "metric": "accuracy", "value": model["correct"] / model["n"]}
    row |= {"low": low, "high": high}
    card = ModelCard(title="Fake", summary="A threshold on x.", metrics=[row])
    write_model_card(Path("MODEL_CARD.md"), card)
    write_results(Path("README.md"), markdown_table([row], list(row)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["make-data", "train", "report", "serve"])
    parser.add_argument("path", nargs="?", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.command == "make-data":
        make_data(args.path)
    elif args.command == "train":
        train(args.path)
    elif args.command == "report":
        report()
    else:
        import uvicorn

        uvicorn.run(f"{__package__}.api:app", host=args.host, port=args.port)


main()
'''

API = '''\
"""The served threshold model, with the shared error model and demo page."""

import json
import os
from pathlib import Path

from fastapi import FastAPI, HTTPException, Query
from pydantic import BaseModel, Field

from .demo import add_demo_page
from .problems import RequestBody, install_problem_handlers

BUG = os.environ.get("FAKE_BUG", "")
MODEL = json.loads(Path("artifacts/model.json").read_text())


class Health(BaseModel):
    status: str


class Metadata(BaseModel):
    metrics: dict[str, float]


class Prediction(BaseModel):
    label: str
    confidence: float


class Point(RequestBody):
    x: float = Field(ge=0, le=1)


app = FastAPI(title="fake")
install_problem_handlers(app)
add_demo_page(app, Path(__file__).parent / "static" / "demo.html")


@app.get("/health", response_model=Health)
def health() -> Health:
    return Health(status="ok")


@app.get("/metadata", response_model=Metadata)
def metadata() -> Metadata:
    return Metadata(metrics={"accuracy": MODEL["correct"] / MODEL["n"], "test rows": MODEL["n"]})


@app.get("/predict", response_model=Prediction)
def predict(x: float = Query(ge=0, le=1)) -> Prediction:
    if BUG == "500" and x > 0.5:
        raise RuntimeError("a bug")
    if BUG == "418" and x > 0.5:
        raise HTTPException(418, "an undocumented status")
    margin = abs(x - MODEL["threshold"])
    label = "high" if x > MODEL["threshold"] else "low"
    return Prediction(label=label, confidence=0.5 + min(margin, 0.5))


@app.post("/predict", response_model=Prediction)
def predict_body(point: Point) -> Prediction:
    return predict(point.x)
'''

PAGE = """\
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Fake demo</title>
<link rel="stylesheet" href="/static/demo.css"><script src="/static/demo.js"></script></head>
<body><main>
<h1>Fake demo</h1>
<label for="x">x (0 to 1)</label>
<input id="x" type="number" min="0" max="1" step="0.01" value="0.5">
<button id="go" type="button">Predict</button>
<p class="prediction" data-testid="prediction"></p>
<section><h2>Test metrics</h2><div data-testid="metrics"></div></section>
<script>
document.getElementById("go").addEventListener("click", async () => {
  const x = document.getElementById("x").value;
  const out = await callApi(`/predict?x=${encodeURIComponent(x)}`);
  document.querySelector("[data-testid=prediction]").textContent =
    out ? `${out.label} (${Math.round(100 * out.confidence)}% confident)` : "";
});
callApi("/metadata").then((m) => m && showMetrics(
  document.querySelector("[data-testid=metrics]"), m.metrics));
</script>
</main></body></html>
"""


def build(root: Path) -> Path:
    """Write the fake template into ``root`` and return it."""
    files = {
        "copier.yml": COPIER,
        "template.yml": TEMPLATE_YML,
        "project/pyproject.toml.jinja": PYPROJECT,
        "project/README.md.jinja": README,
        "project/{{_copier_conf.answers_file}}.jinja": "{{ _copier_answers | to_nice_yaml }}",
        f"project/{PKG}/__init__.py": "",
        f"project/{PKG}/__main__.py": MAIN,
        f"project/{PKG}/api.py": API,
        f"project/{PKG}/static/demo.html": PAGE,
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, "utf-8")
    for rel in SHARED_FILES:
        shutil.copy2(SHARED / "{{package_name}}" / rel, root / "project" / PKG / rel)
    return root

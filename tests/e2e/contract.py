"""The contract harness (docs/templates.md, "The e2e harness"): smoke-train a generated project,
check its model card and README results, serve it, fuzz it with schemathesis, use its demo page
in headless Chromium."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .helpers import project_env, sh

CHROMIUM = Path(os.environ.get("MLSCAFFOLD_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
EXAMPLES = int(os.environ.get("MLSCAFFOLD_E2E_EXAMPLES", "25"))
SMOKE_TIMEOUT = int(os.environ.get("MLSCAFFOLD_E2E_SMOKE_TIMEOUT", "600"))
ACTIONS = {"fill": "value", "upload": "path", "select": "index", "click": None}
DOCS = "docs/templates.md, 'The e2e harness', says what it holds"
SHOWN = ("[data-testid=prediction]", "[data-testid=metrics]")
START, END = "<!-- results:start -->", "<!-- results:end -->"  # as the shared readme.py writes


@dataclass
class Spec:
    """What a template's template.yml asks the harness to run."""

    source: str
    smoke: list[str]
    demo: list[dict] = field(default_factory=list)
    accept: list[dict] = field(default_factory=list)  # the optional `schemathesis_accept` key
    predict: dict = field(default_factory=dict)  # one request the served API and image answer


def read_spec(template_yml: Path, source: str | None = None) -> Spec:
    """The ``smoke`` and ``demo`` keys of ``template_yml``; AssertionError naming what is wrong."""
    source = source or str(template_yml)
    data = yaml.safe_load(template_yml.read_text("utf-8")) or {}
    for key in ("smoke", "demo"):
        if not data.get(key):
            raise AssertionError(
                f"{source} has no `{key}` key: the contract harness needs it; {DOCS}"
            )
    smoke, demo = data["smoke"], data["demo"]
    if not isinstance(smoke, list) or not all(isinstance(c, str) and c.strip() for c in smoke):
        raise AssertionError(f"{source}: `smoke` must be a list of shell commands; {DOCS}")
    if not isinstance(demo, list):
        raise AssertionError(f"{source}: `demo` must be a list of steps; {DOCS}")
    for number, step in enumerate(demo, 1):
        action = [k for k in ACTIONS if isinstance(step, dict) and k in step]
        extra = ACTIONS[action[0]] if len(action) == 1 else None
        if len(action) != 1 or set(step) != {action[0], *([extra] if extra else [])}:
            raise AssertionError(
                f"{source}: demo step {number} ({step!r}) must be one of "
                "{fill: CSS, value: str}, {upload: CSS, path: file}, {select: CSS, index: int}, "
                f"{{click: CSS}}; {DOCS}"
            )
        if action[0] == "select" and not isinstance(step["index"], int):
            raise AssertionError(f"{source}: demo step {number}: `index` must be an integer")
    accept = data.get("schemathesis_accept") or []
    for number, rule in enumerate(accept if isinstance(accept, list) else [accept], 1):
        ok = isinstance(rule, dict) and set(rule) == {"path", "method", "statuses", "why"}
        ok = ok and isinstance(rule["statuses"], list) and str(rule["why"]).strip() != ""
        if not ok or not all(isinstance(s, int) and 400 <= s < 500 for s in rule["statuses"]):
            raise AssertionError(
                f"{source}: schemathesis_accept entry {number} must be {{path, method, statuses: "
                f"[4xx, ...], why: reason the schema cannot express}}; {DOCS}"
            )
    if not data.get("predict"):
        raise AssertionError(f"{source} has no `predict` key: the image check needs it; {DOCS}")
    return Spec(source, smoke, demo, accept, check_predict(data["predict"], source))


PREDICT_KEYS = {"method", "path", "json", "upload", "vary"}
UPLOAD_KEYS = {"field", "path", "type"}


def check_predict(predict: object, source: str) -> dict:
    """The ``predict`` key: {method: GET|POST, path: /..., json: body | upload: {field, path,
    type}, vary: [answer keys that differ between two answers, e.g. a fresh prediction id]}."""
    ok = isinstance(predict, dict) and {"method", "path"} <= set(predict) <= PREDICT_KEYS
    ok = ok and predict["method"] in ("GET", "POST") and str(predict["path"]).startswith("/")
    ok = ok and not ("json" in predict and "upload" in predict)
    upload = predict.get("upload") if ok else None
    ok = ok and (upload is None or (isinstance(upload, dict) and set(upload) == UPLOAD_KEYS))
    ok = ok and isinstance(predict.get("vary", []), list)
    if not ok:
        raise AssertionError(
            f"{source}: `predict` must be {{method: GET|POST, path: /..., json: body or upload: "
            f"{{field, path, type}}, vary: [keys]}}; {DOCS}"
        )
    return predict


def send(base: str, predict: dict, project: Path, timeout: float = 60) -> dict:
    """Send the ``predict`` request to the API at ``base``; its JSON answer (AssertionError unless
    it is a 200 with JSON)."""
    data, headers = None, {}
    if "json" in predict:
        data, headers = json.dumps(predict["json"]).encode(), {"Content-Type": "application/json"}
    elif upload := predict.get("upload"):
        boundary = "mlscaffold-e2e-boundary"
        data = (
            (
                f'--{boundary}\r\nContent-Disposition: form-data; name="{upload["field"]}"; '
                f'filename="{Path(upload["path"]).name}"\r\nContent-Type: {upload["type"]}\r\n\r\n'
            ).encode()
            + (project / upload["path"]).read_bytes()
            + f"\r\n--{boundary}--\r\n".encode()
        )
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(
        base + predict["path"], data=data, headers=headers, method=predict["method"]
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.load(response)
    except urllib.error.HTTPError as error:
        body = error.read()[:2000].decode(errors="replace")
        what = f"{predict['method']} {predict['path']}"
        raise AssertionError(f"{what}: HTTP {error.code}: {body}") from None


def differences(expected: object, got: object, vary: list[str], where: str = "") -> list[str]:
    """Where ``got`` differs from ``expected`` (numbers within 1e-5, relative or absolute),
    leaving out the top-level keys in ``vary``."""
    if isinstance(expected, dict) and isinstance(got, dict):
        keys = (set(expected) | set(got)) - (set(vary) if not where else set())
        found = [differences(expected.get(k), got.get(k), vary, f"{where}/{k}") for k in keys]
        return sorted(d for part in found for d in part)
    if isinstance(expected, list) and isinstance(got, list) and len(expected) == len(got):
        pairs = enumerate(zip(expected, got, strict=True))
        return [d for i, (a, b) in pairs for d in differences(a, b, vary, f"{where}/{i}")]
    numbers = all(isinstance(x, int | float) and not isinstance(x, bool) for x in (expected, got))
    if numbers and math.isclose(expected, got, rel_tol=1e-5, abs_tol=1e-5):
        return []
    same = expected == got and type(expected) is type(got)  # True is not 1 here
    return [] if same else [f"{where or '/'}: {expected!r} != {got!r}"]


def package_of(project: Path) -> str:
    """The generated project's package name (from its copier answers)."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    return answers["package_name"]


def run_smoke(project: Path, spec: Spec) -> None:
    """Run the smoke commands in ``project`` (its venv first on PATH); stop at the first failure."""
    package = package_of(project)
    for command in spec.smoke:
        sh("bash", "-c", command.replace("{package}", package), cwd=project, timeout=SMOKE_TIMEOUT)


def results_block(readme: str) -> str:
    """The text between the README results markers (AssertionError when they are missing)."""
    start, end = readme.find(START), readme.find(END)
    assert 0 <= start < end, f"README.md has no {START} ... {END} block"
    return readme[start + len(START) : end].strip()


def check_results(project: Path, readme_before: str) -> None:
    """MODEL_CARD.md has a metrics table with numbers; the README results block was filled."""
    card = project / "MODEL_CARD.md"
    assert card.is_file(), "the smoke run wrote no MODEL_CARD.md (`report` must write it)"
    text = card.read_text("utf-8")
    assert re.search(r"^#+ .*metrics", text, re.I | re.M), "MODEL_CARD.md has no metrics section"
    rows = [line for line in text.splitlines() if line.startswith("|") and "---" not in line]
    assert any(re.search(r"\d", row) for row in rows[1:]), "MODEL_CARD.md has no metrics rows"
    after = results_block((project / "README.md").read_text("utf-8"))
    assert after, "README.md's results block is empty after the smoke run"
    assert after != results_block(readme_before), "`report` did not fill README.md's results"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@contextmanager
def served(
    project: Path, *, env: dict[str, str] | None = None, timeout: float = 90
) -> Iterator[str]:
    """Run ``python -m <package> serve`` on a free 127.0.0.1 port; yield its base URL."""
    port, log = free_port(), project / f"serve-{time.monotonic_ns()}.log"
    command = [str(project / ".venv" / "bin" / "python"), "-m", package_of(project), "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=project,
            env=project_env(project) | (env or {}),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while not _healthy(f"{base}/health"):
            tail = log.read_text("utf-8", "replace")[-3000:]
            assert process.poll() is None, f"`{' '.join(command)}` exited:\n{tail}"
            assert time.monotonic() < deadline, f"no healthy /health after {timeout} s:\n{tail}"
            time.sleep(0.5)
        yield base
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


# schemathesis' default statuses a schema-valid request may get (positive_data_acceptance)
POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def schemathesis_config(accept: list[dict]) -> str:
    """schemathesis.toml text: for each accept rule, the extra 4xx its operation may answer to
    schema-valid data the schema cannot fully describe (e.g. random bytes that are no image)."""
    blocks = []
    for rule in accept:
        statuses = ", ".join(f'"{s}"' for s in [*POSITIVE_DEFAULT, *map(str, rule["statuses"])])
        blocks.append(
            f"[[operations]]\ninclude-path = {json.dumps(rule['path'])}\n"
            f"include-method = {json.dumps(rule['method'].upper())}\n"
            f"checks.positive_data_acceptance.expected-statuses = [{statuses}]\n"
        )
    return "\n".join(blocks)


def schemathesis_command(base: str, config: Path | None = None) -> list[str]:
    exe = Path(sys.executable).parent / "schemathesis"
    runner = [str(exe)] if exe.is_file() else [shutil.which("schemathesis") or "schemathesis"]
    return [
        *runner,
        *(["--config-file", str(config)] if config else []),
        "run",
        f"{base}/openapi.json",
        "--url",
        base,
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--seed",
        "0",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--generation-database",
        "none",
        "--no-color",
    ]


def run_schemathesis(
    base: str, workdir: Path, accept: list[dict] | None = None, timeout: int = 900
) -> str:
    """Fuzz the API at ``base`` (127.0.0.1 only); AssertionError with the findings on any."""
    assert base.startswith("http://127.0.0.1:"), f"schemathesis runs against 127.0.0.1 only: {base}"
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "schemathesis.toml"
    config.write_text(schemathesis_config(accept or []), "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
    env.update(NO_COLOR="1", SCHEMATHESIS_TELEMETRY="false")
    result = subprocess.run(
        schemathesis_command(base, config),
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"schemathesis found problems in {base}:\n{output[-8000:]}"
    return output


def chromium_missing() -> str | None:
    """Why the demo check cannot run here, or None when it can."""
    if not CHROMIUM.is_file():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    return None


def run_demo(base: str, steps: list[dict], project: Path, timeout_ms: int = 30_000) -> dict:
    """Use the demo page at ``base``/ in headless Chromium; the prediction and metrics texts."""
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    errors: list[str] = []
    outside: list[str] = []

    def only_local(route) -> None:
        url = route.request.url
        if url.startswith(base) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(timeout_ms)
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.route("**/*", only_local)
            page.goto(f"{base}/")
            for step in steps:
                if "fill" in step:
                    page.fill(step["fill"], str(step["value"]))
                elif "upload" in step:
                    page.set_input_files(step["upload"], str(project / step["path"]))
                elif "select" in step:
                    page.select_option(step["select"], index=step["index"])
                else:
                    page.click(step["click"])
            shown = {}
            for selector in SHOWN:
                with suppress(PlaywrightError):  # until it shows text or the page an error
                    page.wait_for_function(
                        "s => [s, '[data-testid=error]'].some(q => {"
                        " const e = document.querySelector(q);"
                        " return !!e && !e.hidden && e.textContent.trim().length > 0; })",
                        arg=selector,
                    )
                shown[selector] = (page.text_content(selector, timeout=1000) or "").strip()
                if not shown[selector]:
                    failure = page.locator("[data-testid=error]")
                    said = failure.first.text_content() if failure.count() else ""
                    raise AssertionError(
                        f"the demo page showed no {selector} after the demo steps "
                        f"(error shown: {said!r}; script errors: {errors})"
                    )
        finally:
            browser.close()
    assert not errors, f"the demo page raised script errors: {errors}"
    assert not outside, f"the demo page fetched outside the API (it must work offline): {outside}"
    return shown

"""copier imported without its prompt stack: renders with defaults never load it, prompts still
work (through the real questionary), and a copier that needs more of the stack is imported as
usual. Each case runs in a fresh interpreter, where copier is not imported yet."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import make_template

QUESTIONS = """\
name:
  type: str
  default: demo
flavour:
  type: str
  choices: [plain, spicy, sweet]
  default: plain
"""

PREAMBLE = """\
import json, sys
from mlscaffold.generate import copierimport
template, dest = sys.argv[1], sys.argv[2]
"""

ANSWERS = """\
from pathlib import Path
name, flavour = (Path(dest) / "out.txt").read_text().split()
stack = sorted(m for m in sys.modules if m.split(".")[0] in {"questionary", "prompt_toolkit"})
print(json.dumps({"name": name, "flavour": flavour, "stack": stack}))
"""


def _run(script: str, tmp_path: Path) -> dict:
    template = make_template(
        tmp_path / "tpl", {"out.txt.jinja": "{{ name }} {{ flavour }}\n"}, QUESTIONS
    )
    dest = tmp_path / "dest"
    code = PREAMBLE + script + ANSWERS
    out = subprocess.run(
        [sys.executable, "-c", code, str(template), str(dest)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_a_render_with_defaults_never_imports_the_prompt_stack(tmp_path: Path) -> None:
    result = _run(
        "copier = copierimport.load()\n"
        "copier.run_copy(template, dest, {'flavour': 'sweet'}, defaults=True, quiet=True)\n",
        tmp_path,
    )
    assert result == {"name": "demo", "flavour": "sweet", "stack": []}


def test_copier_prompts_with_the_real_stack_once_prompts_are_allowed(tmp_path: Path) -> None:
    """Keys pressed at copier's own prompts (prompt_toolkit's test input): text added to the
    name's default (copier fills it in), then the choice below the default one."""
    result = _run(
        "copier = copierimport.load()\n"
        "copierimport.allow_prompts()\n"
        "from prompt_toolkit.application import create_app_session\n"
        "from prompt_toolkit.input import create_pipe_input\n"
        "from prompt_toolkit.output import DummyOutput\n"
        "with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):\n"
        "    keys.send_text('typed\\r\\x1b[B\\r')\n"
        "    copier.run_copy(template, dest, quiet=True)\n",
        tmp_path,
    )
    assert result["name"] == "demotyped"
    assert result["flavour"] == "spicy"
    assert "questionary" in result["stack"]


def test_a_copier_taking_more_of_the_stack_is_imported_as_usual(tmp_path: Path) -> None:
    result = _run(
        "del copierimport._MEMBERS['questionary.prompts.common']['Choice']\n"
        "copier = copierimport.load()\n"
        "copier.run_copy(template, dest, defaults=True, quiet=True)\n",
        tmp_path,
    )
    assert result["flavour"] == "plain"
    assert "questionary.prompts.common" in result["stack"]


def test_render_loads_the_stack_before_a_render_that_may_prompt(tmp_path: Path) -> None:
    """``render.copier_render`` without defaults (copier may ask what mlscaffold cannot) loads the
    real stack first, so copier's choices are questionary's own (see the test above)."""
    result = _run(
        "from pathlib import Path\n"
        "from mlscaffold.generate import render\n"
        "answers = {'name': 'n', 'flavour': 'sweet'}\n"
        "request = render.RenderRequest(template, answers, defaults=False, trust=False)\n"
        "render.copier_render(request, Path(dest))\n",
        tmp_path,
    )
    assert result["flavour"] == "sweet"
    assert "questionary.prompts.common" in result["stack"]


def test_render_with_defaults_leaves_the_stack_out(tmp_path: Path) -> None:
    result = _run(
        "from pathlib import Path\n"
        "from mlscaffold.generate import render\n"
        "request = render.RenderRequest(template, {}, defaults=True, trust=False)\n"
        "render.copier_render(request, Path(dest))\n",
        tmp_path,
    )
    assert result == {"name": "demo", "flavour": "plain", "stack": []}

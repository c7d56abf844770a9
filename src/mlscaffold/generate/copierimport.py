"""Import copier without its interactive prompt stack until a prompt may be shown.

copier imports questionary (and with it prompt_toolkit, about a third of copier's import time) as
it is imported, though a render given every answer (``defaults``) never prompts; copier has no
setting for this. ``load()`` therefore imports copier with light stand-ins in the place of the
four names it takes from that stack, and removes them again once copier is in: anything imported
later gets the real packages. The stand-ins turn into the real thing as soon as the stack is
loaded (``allow_prompts()``, which every render that may prompt calls first): ``confirm`` and
``unsafe_prompt`` call questionary's, and ``Choice`` and ``PygmentsLexer`` make questionary's and
prompt_toolkit's own objects. Until then a ``Choice`` holds only what copier reads from one to
check an answer. Should copier take anything else from the stack, the stand-ins are dropped and
copier is imported as usual.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

_CHOICES = "questionary.prompts.common"  # where questionary's Choice lives
_LEXERS = "prompt_toolkit.lexers"


def _real(module: str, name: str) -> Any:
    return getattr(importlib.import_module(module), name)


def stack_loaded() -> bool:
    """Whether the real prompt stack has been imported (into this process)."""
    module = sys.modules.get(_CHOICES)
    return module is not None and not getattr(module, "_mlscaffold_stand_in", False)


def allow_prompts() -> None:
    """Import the real prompt stack, so that copier can prompt (before a render that may)."""
    importlib.import_module(_CHOICES)
    importlib.import_module(_LEXERS)


def confirm(*args: Any, **kwargs: Any) -> Any:
    """questionary.confirm, imported when called."""
    allow_prompts()
    return _real("questionary", "confirm")(*args, **kwargs)


def unsafe_prompt(*args: Any, **kwargs: Any) -> Any:
    """questionary.unsafe_prompt, imported when called."""
    allow_prompts()
    return _real("questionary", "unsafe_prompt")(*args, **kwargs)


class Choice:
    """questionary's Choice once the stack is loaded; before, what copier reads to check one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        if stack_loaded():
            return _real(_CHOICES, "Choice")(*args, **kwargs)
        return super().__new__(cls)

    def __init__(
        self, title: Any, value: Any = None, disabled: str | None = None, checked: Any = False
    ) -> None:
        self.title = title
        self.value = title if value is None else value  # as questionary's (copier's titles: str)
        self.disabled = disabled
        self.checked = checked if checked is not None else False


class PygmentsLexer:
    """prompt_toolkit's PygmentsLexer once the stack is loaded (copier makes one only to ask)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        allow_prompts()
        return _real(_LEXERS, "PygmentsLexer")(*args, **kwargs)


_MEMBERS: dict[str, dict[str, Any]] = {
    "questionary": {"confirm": confirm, "unsafe_prompt": unsafe_prompt},
    "questionary.prompts": {},
    _CHOICES: {"Choice": Choice},
    "prompt_toolkit": {},
    _LEXERS: {"PygmentsLexer": PygmentsLexer},
}


def _stand_ins() -> dict[str, ModuleType]:
    modules = {}
    for name, members in _MEMBERS.items():
        module = ModuleType(name, "mlscaffold's stand-in until a prompt may be shown")
        module.__dict__.update(members, _mlscaffold_stand_in=True, __path__=[])
        modules[name] = module
    return modules


def load() -> ModuleType:
    """copier, imported (once) without its prompt stack when neither is imported yet."""
    if "copier" in sys.modules or any(name in sys.modules for name in _MEMBERS):
        return importlib.import_module("copier")
    stand_ins = _stand_ins()
    sys.modules.update(stand_ins)
    try:
        return importlib.import_module("copier")
    except ImportError:  # copier takes more from the stack: import it as usual
        for name in [n for n in sys.modules if n in stand_ins or n.split(".")[0] == "copier"]:
            del sys.modules[name]
        return importlib.import_module("copier")
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]

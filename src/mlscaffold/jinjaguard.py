"""Jinja filters that read the machine, and expressions that blow up, are refused to templates
mlscaffold does not trust.

Copier loads jinja2-ansible-filters into every template's environment; a few of its filters read
the environment or the file system (``{{ '$GITHUB_TOKEN' | expandvars }}``,
``{{ '~/.ssh/*' | fileglob }}``), which Jinja's sandbox does not stop. ``install`` wraps them so
that they refuse (a SecurityError) unless the render runs inside ``trusted(True)`` (``--trust``,
or a built-in template); every other filter and global reads nothing but its arguments. Jinja's
sandbox hook for binary operators bounds ``'x' * 10**9`` and ``9 ** 999999`` the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# filter -> what it reads from the machine
HOST_READERS = {
    "expandvars": "environment variables",
    "expanduser": "the home folder's path",
    "realpath": "the file system",
    "relpath": "the current folder's path",
    "fileglob": "the file system",
}
MAX_REPEAT = 10 * 2**20  # characters or items: the size limit of one rendered file
MAX_EXPONENT = 10_000
_TRUSTED: ContextVar[bool] = ContextVar("trusted_template", default=False)


def _refusing(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _TRUSTED.get():
            return real(*args, **kwargs)
        from jinja2.exceptions import SecurityError

        raise SecurityError(
            f"the {name} filter reads {HOST_READERS[name]}, which only a template you pass "
            "--trust for may do"
        )

    guarded.mlscaffold_guarded = True  # type: ignore[attr-defined]
    return guarded


def _bounded_binop(real: Callable[..., Any]) -> Callable[..., Any]:
    """Jinja's sandbox hook for ``*`` and ``**``: without trust, no string or list repeated past
    ``MAX_REPEAT`` items, no power with an exponent past ``MAX_EXPONENT``."""

    def call_binop(self: Any, context: Any, operator: str, left: Any, right: Any) -> Any:
        if not _TRUSTED.get():
            _check_binop(operator, left, right)
        return real(self, context, operator, left, right)

    call_binop.mlscaffold_guarded = True  # type: ignore[attr-defined]
    return call_binop


def _check_binop(operator: str, left: Any, right: Any) -> None:
    from jinja2.exceptions import SecurityError

    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            sized = isinstance(seq, str | bytes | list | tuple) and isinstance(times, int)
            if sized and len(seq) * times > MAX_REPEAT:
                raise SecurityError(
                    f"the template repeats a value into more than {MAX_REPEAT:,} items, "
                    "which only a template you pass --trust for may do"
                )
    elif operator == "**" and isinstance(right, int) and abs(right) > MAX_EXPONENT:
        raise SecurityError(
            f"the template raises to a power above {MAX_EXPONENT:,}, which only a template you "
            "pass --trust for may do"
        )


def _guard_sandbox() -> None:
    from jinja2.sandbox import SandboxedEnvironment

    if getattr(SandboxedEnvironment.call_binop, "mlscaffold_guarded", False):
        return
    SandboxedEnvironment.intercepted_binops = frozenset({"*", "**"})
    SandboxedEnvironment.call_binop = _bounded_binop(SandboxedEnvironment.call_binop)  # type: ignore[method-assign]


def _from_yaml(data: Any) -> Any:
    """jinja2-ansible-filters' ``from_yaml``, through the bounded loader (no alias bombs)."""
    from .untrusted import load

    return load(data, "YAML given to from_yaml") if isinstance(data, str) else data


def _from_yaml_all(data: Any) -> Any:
    from .untrusted import load_all

    return load_all(data, "YAML given to from_yaml_all") if isinstance(data, str) else data


def install() -> None:
    """Wrap the machine-reading filters of jinja2-ansible-filters, and bound ``*`` and ``**``,
    for every sandboxed Jinja environment made from now on in this process (once)."""
    _guard_sandbox()
    try:
        from jinja2_ansible_filters.core_filters import FilterModule
    except ImportError:
        return
    original = FilterModule.filters
    if getattr(original, "mlscaffold_guarded", False):
        return

    def filters(self: Any) -> dict[str, Callable[..., Any]]:
        found = original(self)
        found = {n: _refusing(n, f) if n in HOST_READERS else f for n, f in found.items()}
        return {**found, "from_yaml": _from_yaml, "from_yaml_all": _from_yaml_all}

    filters.mlscaffold_guarded = True  # type: ignore[attr-defined]
    FilterModule.filters = filters  # type: ignore[method-assign]


@contextmanager
def trusted(trust: bool) -> Iterator[None]:
    """Within this block the machine-reading filters work when ``trust``, refuse otherwise."""
    install()
    token = _TRUSTED.set(trust)
    try:
        yield
    finally:
        _TRUSTED.reset(token)

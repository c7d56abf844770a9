"""Jinja filters that read the machine are refused to templates mlscaffold does not trust.

Copier loads jinja2-ansible-filters into every template's environment; a few of its filters read
the environment or the file system (``{{ '$GITHUB_TOKEN' | expandvars }}``,
``{{ '~/.ssh/*' | fileglob }}``), which Jinja's sandbox does not stop. ``install`` wraps them so
that they refuse (a SecurityError) unless the render runs inside ``trusted(True)`` (``--trust``,
or a built-in template); every other filter and global reads nothing but its arguments.
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


def install() -> None:
    """Wrap the machine-reading filters of jinja2-ansible-filters for every Jinja environment
    made from now on in this process (once; a no-op when the package is missing)."""
    try:
        from jinja2_ansible_filters.core_filters import FilterModule
    except ImportError:
        return
    original = FilterModule.filters
    if getattr(original, "mlscaffold_guarded", False):
        return

    def filters(self: Any) -> dict[str, Callable[..., Any]]:
        found = original(self)
        return {n: _refusing(n, f) if n in HOST_READERS else f for n, f in found.items()}

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

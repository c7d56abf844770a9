"""Turn the errors a user can cause into one-line Click errors instead of tracebacks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Report ValueError, RuntimeError and OSError raised by ``func`` as ``Error: <message>``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except (ValueError, RuntimeError, OSError) as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise click.ClickException(message) from exc

    return wrapper  # type: ignore[return-value]

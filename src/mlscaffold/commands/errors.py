"""Turn the errors a user can cause into one-line Click errors instead of tracebacks."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Report ValueError, RuntimeError and OSError raised by ``func`` as ``Error: <message>``;
    a closed output pipe ends the command quietly."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except BrokenPipeError:  # `mlscaffold list | head -1`: the reader has gone, so stop quietly
            _silence_stdout()
            sys.exit(141)  # what a shell reports for a command ended by SIGPIPE
        except (ValueError, RuntimeError, OSError) as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise click.ClickException(message) from exc

    return wrapper  # type: ignore[return-value]


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass

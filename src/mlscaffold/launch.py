"""The ``mlscaffold`` console script: SIGTERM and SIGHUP handled like Ctrl-C from the start, and
a Ctrl-C while the command still starts up (importing its libraries) ends it without a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    """Run the command line."""
    try:
        from . import interrupts

        interrupts.install()
        from .cli import cli

        cli()
    except KeyboardInterrupt:  # Click handles it once the command runs; this is start-up
        sys.stderr.write("Error: interrupted while starting; nothing was done\n")
        sys.exit(130)
    finally:
        _forget_caught_interrupts()


def _forget_caught_interrupts() -> None:
    """Keep ``python -m mlscaffold``'s exit status when a signal was handled.

    CPython marks a KeyboardInterrupt raised inside ``exec``'d source (dataclasses and
    namedtuples build their methods that way, so a signal during a lazy import lands there) as
    unhandled even when our code catches it, and ``python -m`` then ends the process by SIGINT
    instead of with our exit status. Evaluating any source string clears that mark.
    """
    exec("None")  # a constant; see the docstring

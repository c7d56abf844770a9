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

"""Run the API under uvicorn with one or several worker processes, Nagle off on every connection.

With ``workers > 1`` uvicorn binds the listening socket itself with ``proto=0``; accepted
sockets inherit it and asyncio only sets ``TCP_NODELAY`` when ``proto == IPPROTO_TCP``, so
Nagle's algorithm stays on and every keep-alive answer whose headers and body go out in two
writes waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open). Two workers then
served 0.1x one worker. :class:`NoDelayHTTP` sets the option on each connection as it opens,
whichever way the socket was bound, and keeps uvicorn's own protocol choice (httptools or h11).
"""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile

from uvicorn.protocols.http.auto import AutoHTTPProtocol

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def set_nodelay(sock: socket.socket | None) -> None:
    """Turn Nagle's algorithm off on a TCP socket (other sockets are left as they are)."""
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP protocol, with ``TCP_NODELAY`` set on the connection's socket."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport.get_extra_info("socket"))
        super().connection_made(transport)


def run(app: str, host: str, port: int, workers: int = 1, log_level: str = "warning") -> None:
    """Serve ``app`` (an import string) until SIGINT/SIGTERM; several workers merge metrics."""
    import uvicorn

    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="churn-metrics-")
    uvicorn.run(
        app, host=host, port=port, workers=workers, http=NoDelayHTTP,
        log_level=log_level, access_log=False,
    )  # fmt: skip

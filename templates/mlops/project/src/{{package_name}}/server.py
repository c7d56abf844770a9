"""Run the API under uvicorn with one or several worker processes, Nagle off on every connection.

Several workers each listen on a socket of their own, bound to the same port with
``SO_REUSEPORT``, so that the kernel spreads new connections over them. uvicorn's own
``--workers`` shares one listening socket, and whichever worker wakes first accepts every
connection of a burst: with 8 keep-alive clients, all 8 went to one worker and two workers served
0.94x one (`ss -tnp` showed it); with a socket each they served 2.1x. Where ``SO_REUSEPORT`` is
missing (Windows) uvicorn's supervisor is used.

With ``workers > 1`` uvicorn binds the listening socket itself with ``proto=0``; accepted
sockets inherit it and asyncio only sets ``TCP_NODELAY`` when ``proto == IPPROTO_TCP``, so
Nagle's algorithm stays on and every keep-alive answer whose headers and body go out in two
writes waits ~40 ms for the client's delayed ACK (Kludex/uvicorn#3149, open). Two workers then
served 0.1x one worker. :class:`NoDelayHTTP` sets the option on each connection as it opens,
whichever way the socket was bound, and keeps uvicorn's own protocol choice (httptools or h11).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import socket
import sys
import tempfile
from multiprocessing.connection import wait

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from . import readiness

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


class CountedServer(uvicorn.Server):
    """uvicorn's server that counts itself in :mod:`.readiness` once it has started."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started:
            readiness.mark_started()


def run(app: str, host: str, port: int, workers: int = 1, log_level: str = "warning") -> None:
    """Serve ``app`` (an import string) until SIGINT/SIGTERM; several workers merge metrics."""
    if workers > 1 and not os.environ.get(MULTIPROC_ENV):
        os.environ[MULTIPROC_ENV] = tempfile.mkdtemp(prefix="churn-metrics-")
    if workers > 1 and port and hasattr(socket, "SO_REUSEPORT"):
        sys.exit(supervise(app, host, port, workers, log_level))
    uvicorn.run(
        app, host=host, port=port, workers=workers, http=NoDelayHTTP,
        log_level=log_level, access_log=False,
    )  # fmt: skip


def reuseport_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` that other workers of this user can share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def worker(app: str, host: str, port: int, log_level: str, shared: tuple = ()) -> None:
    """One worker process: its own socket, uvicorn's server (graceful on SIGTERM/SIGINT);
    ``shared``: the supervisor's readiness counter, event and worker count."""
    if shared:
        readiness.join(*shared)
    try:
        sock = reuseport_socket(host, port)
    except OSError as exc:
        sys.exit(f"cannot listen on {host}:{port}: {exc.strerror}")
    config = uvicorn.Config(app, http=NoDelayHTTP, log_level=log_level, access_log=False)
    server = CountedServer(config)
    server.run(sockets=[sock])
    if not server.started:
        sys.exit(3)  # the app failed to start (uvicorn logged why)


def supervise(app: str, host: str, port: int, workers: int, log_level: str) -> int:
    """Start ``workers`` processes; stop them all on SIGTERM/SIGINT, or when one of them exits
    (a process manager such as Docker or systemd then restarts the service). Returns the exit
    code: 0 after a requested stop, else that of the worker that ended first."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter, as uvicorn's workers
    shared = (context.Value("i", 0), context.Event(), workers)  # see readiness.py
    procs = [
        context.Process(
            target=worker, args=(app, host, port, log_level, shared), name=f"worker-{i}"
        )
        for i in range(workers)
    ]
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs:
            if proc.is_alive():
                proc.terminate()  # SIGTERM: uvicorn finishes in-flight requests, then lifespan

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for proc in procs:
            proc.start()
        if stopping:  # a signal came during start-up: stop the workers started after it too
            stop(signal.SIGTERM, None)
        ended = wait([proc.sentinel for proc in procs])
        requested = stopping
        first = next(proc for proc in procs if proc.sentinel in ended)
        if not requested:
            print(f"{first.name} exited with code {first.exitcode}: stopping", file=sys.stderr)
            stop(signal.SIGTERM, None)
        for proc in procs:
            proc.join(60)
            if proc.is_alive():
                proc.kill()
                proc.join()
            forget_metrics(proc.pid)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    code = 0 if requested else first.exitcode or 0
    return 128 - code if code < 0 else code  # killed by signal N: 128 + N, as shells say


def forget_metrics(pid: int | None) -> None:
    """Drop a stopped worker's live gauges from the merged metrics (multiprocess mode)."""
    if pid is not None and os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)

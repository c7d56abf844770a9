"""Load generator for the serving benchmarks: keep-alive HTTP/1.1 connections over loopback.

The serving benchmarks in benchmarks/ import it; it needs nothing beyond the standard library.
The server runs as its own process (``start_server``/``serve``: one uvicorn worker), so the
load comes from another interpreter than the one answering it.

    import loadgen

    with loadgen.serve("my_package.api", env=os.environ | {"ARTIFACTS_DIR": "artifacts"}) as port:
        stats = loadgen.run_load(port, [loadgen.get_request("/health")], count=2000)
    print(loadgen.describe(stats))

As a command, it loads a server that is already running with GET requests, one path a line:

    python benchmarks/loadgen.py --port 8000 --paths paths.txt --concurrency 8 --requests 20000

It speaks just enough HTTP for the benchmarks: requests are raw bytes built by ``get_request``,
``post_request``, ``json_request`` or ``multipart_request``; answers need a Content-Length or
chunked encoding. Only loopback addresses are accepted, and every loop is bounded in count and
time. Statistics: requests answered, errors (answers other than 2xx, and timeouts), seconds,
requests/s, latency p50/p90/p99/max in milliseconds, concurrency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"
MAX_HEADER_LINES = 100
MAX_CHUNKS = 100_000


def check_loopback(host: str) -> str:
    """Return ``host`` if it is a loopback address (or ``localhost``), else raise ValueError."""
    if host == "localhost":
        return host
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{host!r} is not a loopback address: the benchmarks load 127.0.0.1 only")
    return host


# --- building requests -----------------------------------------------------------------------


def _request_line(method: str, path: str) -> str:
    if not path.startswith("/") or any(c.isspace() for c in path):
        raise ValueError(f"not a request path: {path!r}")
    return f"{method} {path} HTTP/1.1\r\n"


def get_request(path: str, host: str = LOOPBACK) -> bytes:
    """A raw keep-alive ``GET path`` (path with its query string, e.g. ``/items/3?k=10``)."""
    return (_request_line("GET", path) + f"Host: {check_loopback(host)}\r\n\r\n").encode()


def post_request(path: str, body: bytes, content_type: str, host: str = LOOPBACK) -> bytes:
    """A raw keep-alive ``POST path`` carrying ``body`` as ``content_type``."""
    if "\r" in content_type or "\n" in content_type:
        raise ValueError(f"not a content type: {content_type!r}")
    head = (
        _request_line("POST", path) + f"Host: {check_loopback(host)}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def json_request(path: str, payload: object, host: str = LOOPBACK) -> bytes:
    """POST ``payload`` encoded as JSON."""
    return post_request(path, json.dumps(payload).encode(), "application/json", host)


def multipart_request(
    path: str,
    field: str,
    filename: str,
    data: bytes,
    file_type: str = "application/octet-stream",
    host: str = LOOPBACK,
    boundary: str = "loadgenboundary",
) -> bytes:
    """POST one file as ``multipart/form-data`` (what an ``UploadFile`` parameter reads)."""
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: {file_type}\r\n\r\n'
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return post_request(path, body, f"multipart/form-data; boundary={boundary}", host)


# --- running the load ------------------------------------------------------------------------


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Read one answer: (status, body, whether the server keeps the connection open)."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1 : 1 + MAX_HEADER_LINES]:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if lines[0].startswith(b"HTTP/1.0"):
        keep_alive = headers.get(b"connection") == b"keep-alive"
    else:
        keep_alive = headers.get(b"connection") != b"close"
    if headers.get(b"transfer-encoding") == b"chunked":
        parts = []
        for _ in range(MAX_CHUNKS):
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                for _ in range(MAX_HEADER_LINES):  # trailers, then an empty line
                    if await reader.readuntil(b"\r\n") == b"\r\n":
                        return status, b"".join(parts), keep_alive
                break
            parts.append((await reader.readexactly(size + 2))[:-2])
        raise RuntimeError("a chunked answer too long to read")
    if b"content-length" in headers:
        return status, await reader.readexactly(int(headers[b"content-length"])), keep_alive
    if status in (204, 304) or 100 <= status < 200:
        return status, b"", keep_alive
    return status, await reader.read(), False  # no length: the body ends with the connection


async def _connection(
    host: str, port: int, requests: Sequence[bytes], state: dict, timeout: float
) -> None:
    """One client: send the next request, wait for its answer, until the phase is over."""
    writer = None
    try:
        while state["next"] < state["end"] and time.perf_counter() < state["deadline"]:
            request = requests[state["next"] % len(requests)]
            state["next"] += 1  # claimed before any await, so no more than `end` are sent
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), timeout
                )
            began = time.perf_counter()
            writer.write(request)
            try:
                await asyncio.wait_for(writer.drain(), timeout)
                status, body, keep_alive = await asyncio.wait_for(_read_response(reader), timeout)
            except TimeoutError:
                state["errors"] += 1
                state.setdefault("first_error", f"no answer within {timeout} s")
                return  # the connection is out of step with the server now
            except (asyncio.IncompleteReadError, ConnectionError) as error:
                state["errors"] += 1  # the server closed the connection: open a new one
                state.setdefault("first_error", f"connection lost: {error!r}")
                writer.close()
                writer = None
                continue
            state["latencies"].append(time.perf_counter() - began)
            if not 200 <= status < 300:
                state["errors"] += 1
                state.setdefault("first_error", f"HTTP {status}: {body[:200]!r}")
            if not keep_alive:
                writer.close()
                writer = None
    finally:
        if writer is not None:
            writer.close()


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) of sorted values, interpolated linearly like numpy's."""
    if not sorted_values:
        return float("nan")
    rank = (len(sorted_values) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


async def _phase(
    host: str,
    port: int,
    requests: Sequence[bytes],
    start: int,
    count: int,
    duration: float,
    concurrency: int,
    timeout: float,
) -> dict:
    state = {
        "next": start,
        "end": start + count,
        "deadline": time.perf_counter() + duration,
        "latencies": [],
        "errors": 0,
    }
    began = time.perf_counter()
    await asyncio.gather(
        *(_connection(host, port, requests, state, timeout) for _ in range(concurrency))
    )
    seconds = time.perf_counter() - began
    ms = sorted(1000 * s for s in state["latencies"])
    stats = {
        "requests": len(ms),
        "errors": state["errors"],
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(ms) / seconds, 1) if seconds > 0 else 0.0,
        "p50_ms": round(percentile(ms, 50), 3),
        "p90_ms": round(percentile(ms, 90), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "max_ms": round(ms[-1], 3) if ms else float("nan"),
        "concurrency": concurrency,
    }
    if "first_error" in state:
        stats["first_error"] = state["first_error"]
    return stats


def run_load(
    port: int,
    requests: Sequence[bytes],
    *,
    count: int = 20_000,
    duration: float = 30.0,
    concurrency: int = 8,
    warmup: int = 1_000,
    warmup_duration: float = 5.0,
    timeout: float = 30.0,
    host: str = LOOPBACK,
) -> dict:
    """Send ``warmup`` requests (not measured), then at most ``count`` in at most ``duration`` s.

    ``concurrency`` keep-alive connections take the raw ``requests`` in turn, cycling through
    the list: the warm-up sends ``requests[0:warmup]``, the measured phase the ones after it, so
    a list of ``warmup + count`` requests sends each one once. A request unanswered after
    ``timeout`` seconds counts as an error and ends its connection. Returns the measured
    phase's statistics (with ``first_error``, an example, when there were errors).
    """
    check_loopback(host)
    if not requests:
        raise ValueError("no requests to send")
    if concurrency < 1 or count < 1:
        raise ValueError("concurrency and count must be at least 1")

    async def both() -> dict:
        if warmup > 0:
            await _phase(host, port, requests, 0, warmup, warmup_duration, concurrency, timeout)
        return await _phase(
            host, port, requests, max(warmup, 0), count, duration, concurrency, timeout
        )

    return asyncio.run(both())


def describe(stats: Mapping) -> str:
    """One line for people: requests, errors, requests/s and latency percentiles."""
    return (
        f"{stats['requests']} requests ({stats['errors']} errors) in {stats['seconds']:.1f} s, "
        f"concurrency {stats['concurrency']}: {stats['requests_per_s']:.0f} req/s; latency "
        f"p50 {stats['p50_ms']:.1f} ms, p90 {stats['p90_ms']:.1f} ms, "
        f"p99 {stats['p99_ms']:.1f} ms, max {stats['max_ms']:.1f} ms"
    )


# --- the server under test -------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` now."""
    with socket.socket() as sock:
        sock.bind((check_loopback(host), 0))
        return sock.getsockname()[1]


def start_server(
    module: str,
    port: int,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> subprocess.Popen:
    """Start ``uvicorn <module>:app`` as its own process: one worker on 127.0.0.1:``port``."""
    command = [
        *(sys.executable, "-m", "uvicorn", f"{module}:app"),
        *("--host", LOOPBACK, "--port", str(port), "--workers", "1"),
        *("--no-access-log", "--log-level", "warning"),
    ]
    return subprocess.Popen(command, env=dict(os.environ if env is None else env), cwd=cwd)


def wait_ready(port: int, server: subprocess.Popen | None = None, timeout: float = 60.0) -> None:
    """Wait until GET /health answers 200; RuntimeError if the server exits or takes too long."""
    url = f"http://{LOOPBACK}:{port}/health"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server is not None and server.poll() is not None:
            raise RuntimeError(f"the server exited with code {server.returncode} before it was up")
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server at {url} did not answer within {timeout:.0f} s")


def stop_server(server: subprocess.Popen, timeout: float = 30.0) -> None:
    """Stop the server (SIGTERM, then SIGKILL if it is still there after ``timeout`` s)."""
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=timeout)


@contextlib.contextmanager
def serve(
    module: str,
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
    ready_timeout: float = 60.0,
) -> Iterator[int]:
    """Run ``uvicorn <module>:app`` (one worker, a free port) around the block; yield the port."""
    port = free_port()
    server = start_server(module, port, env=env, cwd=cwd)
    try:
        wait_ready(port, server, timeout=ready_timeout)
        yield port
    finally:
        stop_server(server)


# --- command line ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0]
        + " GET the paths in --paths (one a line) on a server that is already running."
    )
    parser.add_argument("--host", default=LOOPBACK, help="a loopback address")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--paths", required=True, help="file with one request path per line")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000, help="at most this many")
    parser.add_argument("--duration", type=float, default=30.0, help="at most this many seconds")
    parser.add_argument("--warmup", type=int, default=1_000, help="requests before measuring")
    args = parser.parse_args()
    try:
        check_loopback(args.host)
    except ValueError as error:
        parser.error(str(error))
    paths = [p.strip() for p in Path(args.paths).read_text().splitlines() if p.strip()]
    requests = [get_request(p, args.host) for p in paths]
    stats = run_load(
        args.port,
        requests,
        count=args.requests,
        duration=args.duration,
        concurrency=args.concurrency,
        warmup=args.warmup,
        host=args.host,
    )
    if not stats["requests"]:
        raise SystemExit("no request completed")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()

"""Load generator for the serving benchmarks: keep-alive HTTP/1.1 connections over loopback.

The serving benchmarks in benchmarks/ import it (standard library only). The server runs as its
own process (``start_server``/``serve``: one uvicorn worker), the load comes from another one:

    with loadgen.serve("my_package.api", env=os.environ | {"ARTIFACTS_DIR": "artifacts"}) as port:
        stats = loadgen.run_load(port, [loadgen.get_request("/health")], count=2000)
    print(loadgen.describe(stats))

As a command (``python benchmarks/loadgen.py --help``), it GETs paths from a running server.
Requests are raw bytes (``get_request``, ``post_request``, ``json_request``,
``multipart_request``); two drivers send them unchanged and return the same statistics (requests
answered; errors: answers other than 2xx, timeouts, lost connections; seconds, requests/s,
latency p50/p90/p99/max in ms, the warm-up's answers, the client's CPU seconds):

- ``wrk`` (optional: ``apt-get install wrk``, ``brew install wrk``), a C load generator, needs
  less than half the asyncio client's CPU (30-50 against 75-125 us a request on the mlops
  server), CPU that on a 2-core machine the server under test would miss. ``auto`` picks wrk
  when it is on the PATH. loadwrk.py's Lua script reads the requests from files, counts non-2xx
  answers itself (wrk counts only >= 400; that ``response`` hook costs ~1.5 us a request,
  measured) and ends the run once ``count`` are answered (wrk itself only knows durations). wrk
  corrects latencies for coordinated omission (after a slow answer it adds the requests a steady
  client would have waited for); the script takes those out again so the figures compare with
  the asyncio client's (when that would take too long, the stats say ``latency: corrected
  ...``). Requests in flight when ``duration`` ends are dropped, not counted (a server that
  never answers shows 0 requests, not errors).
- ``python``: a raw asyncio client, the fallback; answers need a Content-Length or chunks. It
  alone can also send at a fixed ``rate`` (open loop), to measure the latency at a given load
  rather than at the server's limit.

Only loopback addresses are accepted, and every run is bounded in count and time. A run that
answered nothing, had errors or measured a figure that is not a number stops the benchmark
(``check``: exit status 1), and every timing line carries the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import ipaddress
import json
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import loadwrk  # benchmarks/loadwrk.py: the wrk driver

LOOPBACK = "127.0.0.1"
MAX_HEADER_LINES = 100
MAX_CHUNKS = 100_000
QUANTILES = ("p50", "p90", "p99", "max")
DRIVERS = ("auto", "python", "wrk")


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
    """One client: send the next request, wait for its answer, until the phase is over. At a
    fixed ``state["rate"]`` request i is due at ``i / rate`` s, and its latency counts from then:
    a request that waits for a free connection waits on the clock (no coordinated omission)."""
    writer = None
    try:
        while state["next"] < state["end"] and time.perf_counter() < state["deadline"]:
            index = state["next"]
            request = requests[index % len(requests)]
            state["next"] += 1  # claimed before any await, so no more than `end` are sent
            if writer is None:
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection(host, port), timeout
                )
            began = time.perf_counter()
            if state["rate"]:
                began = state["began"] + (index - state["start"]) / state["rate"]
                await asyncio.sleep(began - time.perf_counter())
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


def _python_phase(requests: Sequence[bytes], start: int, count: int, duration: float, *,
                  host: str, port: int, concurrency: int, timeout: float,
                  rate: float | None = None) -> dict:  # fmt: skip
    """One phase with the asyncio client (as fast as answers come, or at ``rate`` a second)."""
    state = {"next": start, "start": start, "end": start + count, "latencies": [], "errors": 0,
             "rate": rate}  # fmt: skip

    async def clients() -> None:
        state["began"] = time.perf_counter()
        state["deadline"] = state["began"] + duration
        await asyncio.gather(
            *(_connection(host, port, requests, state, timeout) for _ in range(concurrency))
        )

    began, cpu = time.perf_counter(), time.process_time()
    asyncio.run(clients())
    ms = sorted(1000 * s for s in state["latencies"])
    return {"requests": len(ms), "errors": state["errors"], "first_error": state.get("first_error"),
            "seconds": time.perf_counter() - began, "client_cpu_s": time.process_time() - cpu,
            "ms": [percentile(ms, q) for q in (50, 90, 99, 100)]}  # fmt: skip


def pick_driver(driver: str = "auto") -> str:
    """``wrk`` or ``python``: ``auto`` takes wrk when it is on the PATH."""
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}: auto, python or wrk")
    if driver == "python" or shutil.which("wrk"):
        return "wrk" if driver == "auto" else driver
    if driver == "wrk":
        raise RuntimeError("wrk is not installed (apt-get install wrk, brew install wrk)")
    return "python"


def add_rate_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--rate`` (for ``run_load``) to a benchmark's command line."""
    help = "send this many requests a second (python driver) instead of as fast as answered"
    parser.add_argument("--rate", type=float, help=help)


def add_driver_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--driver`` (for ``run_load``) to a benchmark's command line."""
    help = "load generator: wrk (a C client) or python; auto: wrk when it is installed"
    parser.add_argument("--driver", choices=DRIVERS, default="auto", help=help)


def run_load(port: int, requests: Sequence[bytes], *, count: int = 20_000, duration: float = 30.0,
             concurrency: int = 8, warmup: int = 1_000, warmup_duration: float = 5.0,
             timeout: float = 30.0, host: str = LOOPBACK, driver: str = "auto",
             threads: int = 1, rate: float | None = None, strict: bool = True) -> dict:  # fmt: skip
    """Send ``warmup`` requests (not measured), then at most ``count`` in at most ``duration`` s.

    ``concurrency`` keep-alive connections take the raw ``requests`` in turn, cycling through
    the list: the warm-up sends ``requests[0:warmup]``, the measured phase the ones after it, so
    a list of ``warmup + count`` requests sends each one once. Both phases use ``driver``
    (``pick_driver``; wrk with ``threads`` threads). An answer slower than ``timeout`` s counts
    as an error. Returns the measured phase's statistics, with ``warmup_requests`` (the warm-up's
    answers) and, when there were errors, ``first_error`` (an example).

    With ``rate``, requests are sent at that many a second (open loop: the python driver, as wrk
    has no fixed rate) rather than as fast as answers come, and latencies count from when each
    request was due: the latency users see at that load, not at the server's limit.

    The stats hold the 1-, 5- and 15-minute ``load_average`` when the run ended. With
    ``strict`` (the default), a run with no answer, an error or a figure that is not a number
    raises ``UnsoundRun`` (``check``).
    """
    check_loopback(host)
    if not requests:
        raise ValueError("no requests to send")
    if concurrency < 1 or count < 1 or threads < 1:
        raise ValueError("concurrency, count and threads must be at least 1")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    if rate and driver == "wrk":
        raise ValueError("wrk sends as fast as answers come: a fixed rate needs --driver python")
    chosen = "python" if rate else pick_driver(driver)
    common = {"host": host, "port": port, "concurrency": concurrency, "timeout": timeout}
    with tempfile.TemporaryDirectory(prefix="loadgen-") as folder:
        if chosen == "wrk":
            files = loadwrk.write_files(Path(folder), requests, concurrency)
            phase = functools.partial(loadwrk.phase, files, threads=threads, **common)
        else:
            phase = functools.partial(_python_phase, requests, rate=rate, **common)
        warm = phase(0, warmup, warmup_duration)["requests"] if warmup > 0 else 0
        got = phase(max(warmup, 0), count, duration)
    seconds = got["seconds"]
    stats = {"requests": got["requests"], "errors": got["errors"], "seconds": round(seconds, 3),
             "requests_per_s": round(got["requests"] / seconds, 1) if seconds > 0 else 0.0,
             **{f"{k}_ms": round(v, 3) for k, v in zip(QUANTILES, got["ms"], strict=True)},
             "concurrency": concurrency, "driver": chosen, "warmup_requests": warm,
             "client_cpu_s": round(got["client_cpu_s"], 3), "rate": rate,
             "load_average": [round(x, 2) for x in os.getloadavg()]}  # fmt: skip
    if got.get("corrected"):  # too many distinct latencies to undo wrk's correction quickly
        stats["latency"] = "corrected for coordinated omission by wrk"
    stats |= {"first_error": got["first_error"]} if got["errors"] else {}
    return check(stats) if strict else stats


class UnsoundRun(SystemExit):
    """A load run whose figures must not be reported (exit status 1, the reason printed)."""


def check(stats: dict) -> dict:
    """``stats`` if they can be reported; UnsoundRun when no request was answered, any failed,
    or a figure is not a number (NaN or infinite)."""
    if not stats["requests"]:
        raise UnsoundRun(f"no request was answered ({stats['errors']} errors): {describe(stats)}")
    if stats["errors"]:
        raise UnsoundRun(
            f"{stats['errors']} requests failed, e.g. {stats.get('first_error')}: {describe(stats)}"
        )
    odd = [k for k, v in stats.items() if isinstance(v, float) and not math.isfinite(v)]
    if odd:
        raise UnsoundRun(f"figures that are not numbers ({', '.join(odd)}): {describe(stats)}")
    return stats


def load_average() -> str:
    """The machine's 1-, 5- and 15-minute load averages and CPU count, as a timing's context."""
    return _load_text(os.getloadavg())


def _load_text(averages: Sequence[float]) -> str:
    figures = ", ".join(f"{x:.2f}" for x in averages)
    return f"load average {figures} on {os.cpu_count()} CPUs"


def describe(stats: Mapping) -> str:
    """One line for people: requests, errors, requests/s, latency percentiles, the driver and
    the load average when the run ended."""
    return (
        f"{stats['requests']} requests ({stats['errors']} errors) in {stats['seconds']:.1f} s, "
        f"concurrency {stats['concurrency']}"
        + (f", offered {stats['rate']:.0f} req/s" if stats.get("rate") else "")
        + f": {stats['requests_per_s']:.0f} req/s; latency "
        f"p50 {stats['p50_ms']:.1f} ms, p90 {stats['p90_ms']:.1f} ms, "
        f"p99 {stats['p99_ms']:.1f} ms, max {stats['max_ms']:.1f} ms "
        f"(driver {stats['driver']}, client CPU {stats['client_cpu_s']:.1f} s; "
        f"{_load_text(stats.get('load_average') or os.getloadavg())})"
    )


# --- the server under test -------------------------------------------------------------------


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` now."""
    with socket.socket() as sock:
        sock.bind((check_loopback(host), 0))
        return sock.getsockname()[1]


def start_server(module: str, port: int, env: Mapping[str, str] | None = None,
                 cwd: str | Path | None = None) -> subprocess.Popen:  # fmt: skip
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
def serve(module: str, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
          ready_timeout: float = 60.0) -> Iterator[int]:  # fmt: skip
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
    add_driver_option(parser)
    add_rate_option(parser)
    args = parser.parse_args()
    try:
        check_loopback(args.host)
    except ValueError as error:
        parser.error(str(error))
    paths = [p.strip() for p in Path(args.paths).read_text().splitlines() if p.strip()]
    requests = [get_request(p, args.host) for p in paths]
    stats = run_load(args.port, requests, count=args.requests, duration=args.duration,
                     concurrency=args.concurrency, warmup=args.warmup, host=args.host,
                     driver=args.driver, rate=args.rate)  # fmt: skip
    print(json.dumps(stats))


if __name__ == "__main__":
    main()

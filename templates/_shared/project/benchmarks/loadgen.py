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
  when it is on the PATH. ``WRK_SCRIPT`` (Lua) reads the requests from files, counts non-2xx
  answers itself (wrk counts only >= 400; that ``response`` hook costs ~1.5 us a request,
  measured) and ends the run once ``count`` are answered (wrk itself only knows durations). wrk
  corrects latencies for coordinated omission (after a slow answer it adds the requests a steady
  client would have waited for); the script takes those out again so the figures compare with
  the asyncio client's (when that would take too long, the stats say ``latency: corrected
  ...``). Requests in flight when ``duration`` ends are dropped, not counted (a server that
  never answers shows 0 requests, not errors).
- ``python``: a raw asyncio client, the fallback; answers need a Content-Length or chunks.

Only loopback addresses are accepted, and every run is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import ipaddress
import json
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

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


def _python_phase(requests: Sequence[bytes], start: int, count: int, duration: float, *,
                  host: str, port: int, concurrency: int, timeout: float) -> dict:  # fmt: skip
    """One phase with the asyncio client."""
    state = {"next": start, "end": start + count, "latencies": [], "errors": 0}

    async def clients() -> None:
        state["deadline"] = time.perf_counter() + duration
        await asyncio.gather(
            *(_connection(host, port, requests, state, timeout) for _ in range(concurrency))
        )

    began, cpu = time.perf_counter(), time.process_time()
    asyncio.run(clients())
    ms = sorted(1000 * s for s in state["latencies"])
    return {"requests": len(ms), "errors": state["errors"], "first_error": state.get("first_error"),
            "seconds": time.perf_counter() - began, "client_cpu_s": time.process_time() - cpu,
            "ms": [percentile(ms, q) for q in (50, 90, 99, 100)]}  # fmt: skip


# wrk 4 runs it in each of its threads (`setup` and `done` in its main Lua state). Arguments
# after `--`: the file of the requests' bytes, their sizes (one a line), threads, count, first.
WRK_SCRIPT = r"""
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
function init(args)
  local blob, at = assert(io.open(args[1], "rb")):read("*a"), 1
  reqs = {}
  for size in io.lines(args[2]) do
    reqs[#reqs + 1] = blob:sub(at, at + tonumber(size) - 1); at = at + tonumber(size)
  end
  local share, extra = math.floor(args[4] / args[3]), args[4] % args[3]
  count = share + (id < extra and 1 or 0)
  nxt = args[5] + id * share + math.min(id, extra)
  issued, answered, bad = 0, 0, 0
end
function delay()  -- before each request: once `count` are sent, the connection waits
  if issued >= count then return 1e12 end
  issued = issued + 1
  return 0
end
function request()
  local r = reqs[nxt % #reqs + 1]
  if issued > 0 then nxt = nxt + 1 end  -- wrk calls it once before the run, to check it
  return r
end
function response(status, headers, body)
  answered = answered + 1
  if status < 200 or status > 299 then
    bad = bad + 1
    first_error = first_error or ("HTTP " .. status .. ": " .. body:sub(1, 200))
  end
  if answered == count then io.write("loadgen: answered\n"); io.flush(); wrk.thread:stop() end
end
local function quote(s)
  return s and '"' .. s:gsub('[%c"\\\128-\255]', function(c)
    return string.format("\\u%04x", c:byte()) end) .. '"' or "null"
end
-- wrk 4 corrects for coordinated omission: an answer slower than twice the mean cycle E also
-- counts at latency - E, - 2E, ... down to E. Take those out again (top down), so that the
-- figures compare with the python driver's, unless that is too long to compute.
local function measured(summary, latency)
  local n, values, counts, per = #latency, {}, {}, math.floor(summary.requests / CONNECTIONS)
  if n == 0 then return {}, 0 end
  if n * (latency.max - latency.min) > 4e9 then
    return {latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max}, 1
  end
  for i = 1, n do values[i], counts[i] = latency(i) end
  local cycle, above, total, out = per > 0 and math.floor(summary.duration / per), {}, 0, {}
  for i = n, 1, -1 do  -- above[r]: the answers measured above values[i] and = r mod cycle
    local v = values[i]
    if cycle and v > cycle then
      counts[i] = counts[i] - (above[v % cycle] or 0)
      above[v % cycle] = (above[v % cycle] or 0) + counts[i]
    end
    total = total + counts[i]
  end
  for _, q in ipairs({50, 90, 99, 100}) do  -- nearest rank, like wrk
    local rank, seen, i = math.max(1, math.floor(q / 100 * total + 0.5)), 0, 0
    repeat i = i + 1; seen = seen + counts[i] until seen >= rank
    out[#out + 1] = values[i]
  end
  return out, 0
end
function done(summary, latency)
  local e, bad, first = summary.errors, 0, nil
  for _, t in ipairs(threads) do bad = bad + t:get("bad"); first = first or t:get("first_error") end
  local p, corrected = measured(summary, latency)
  io.write(string.format('{"requests": %d, "us": %d, "non_2xx": %d, "socket": %d, '
    .. '"p": [%d, %d, %d, %d], "corrected": %d, "first_error": %s}\n', summary.requests,
    summary.duration, bad, e.connect + e.read + e.write + e.timeout, p[1] or 0, p[2] or 0,
    p[3] or 0, p[4] or 0, corrected, quote(first)))
end
"""


def _wrk_files(folder: Path, requests: Sequence[bytes], connections: int) -> list[str]:
    """Write the Lua script, the requests' bytes and their sizes to ``folder``; their paths."""
    files = [folder / "loadgen.lua", folder / "requests.bin", folder / "sizes.txt"]
    files[0].write_text(f"local CONNECTIONS = {connections}\n{WRK_SCRIPT}")
    files[1].write_bytes(b"".join(requests))
    files[2].write_text("".join(f"{len(r)}\n" for r in requests))
    return [str(f) for f in files]


def _wrk_output(wrk: subprocess.Popen, threads: int, duration: float) -> bytes:
    """wrk's output; SIGINT (it then prints its figures) once all threads are done or time is up."""
    began, out = time.monotonic(), b""
    with selectors.DefaultSelector() as selector:
        selector.register(wrk.stdout, selectors.EVENT_READ)
        while wrk.poll() is None:
            left = duration - (time.monotonic() - began)
            if out.count(b"loadgen: answered\n") >= threads or left <= 0:
                wrk.send_signal(signal.SIGINT)  # again if wrk was not listening yet
                with contextlib.suppress(subprocess.TimeoutExpired):
                    wrk.wait(timeout=0.5)
                if left < -60:
                    wrk.kill()
            elif selector.select(timeout=min(0.5, left)):
                out += os.read(wrk.stdout.fileno(), 65536)
    return out + wrk.stdout.read()


def _wrk_phase(files: Sequence[str], start: int, count: int, duration: float, *, host: str,
               port: int, concurrency: int, timeout: float, threads: int) -> dict:  # fmt: skip
    """One phase with wrk, which runs for a whole number of seconds unless stopped."""
    import resource  # Unix only, like wrk

    threads = min(threads, concurrency)
    command = [
        "wrk", *("-t", str(threads), "-c", str(concurrency), "-d", f"{int(duration) + 2}s"),
        *("--latency", "--timeout", f"{max(1, round(timeout))}s", "-s", files[0]),
        f"http://{host}:{port}/", "--", *files[1:], str(threads), str(count), str(start),
    ]  # fmt: skip
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = _wrk_output(wrk, threads, duration)
    lines = [line for line in out.splitlines() if line.startswith(b"{")]
    problem = wrk.stderr.read().decode(errors="replace").strip()
    if wrk.returncode or not lines or problem:
        why = problem.splitlines()[-1] if problem else "it printed no figures"
        raise RuntimeError(f"wrk failed (exit code {wrk.returncode}): {why}")
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    got = json.loads(lines[-1])
    errors, socket_errors = got["non_2xx"] + got["socket"], got["socket"]
    first_error = got["first_error"] or f"wrk: {socket_errors} connect/read/write/timeout errors"
    cpu_s = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
    return {"requests": got["requests"], "errors": errors, "first_error": first_error,
            "seconds": got["us"] / 1e6, "client_cpu_s": cpu_s, "corrected": got["corrected"],
            "ms": [us / 1000 if got["requests"] else float("nan") for us in got["p"]]}  # fmt: skip


def pick_driver(driver: str = "auto") -> str:
    """``wrk`` or ``python``: ``auto`` takes wrk when it is on the PATH."""
    if driver not in DRIVERS:
        raise ValueError(f"unknown driver {driver!r}: auto, python or wrk")
    if driver == "python" or shutil.which("wrk"):
        return "wrk" if driver == "auto" else driver
    if driver == "wrk":
        raise RuntimeError("wrk is not installed (apt-get install wrk, brew install wrk)")
    return "python"


def add_driver_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--driver`` (for ``run_load``) to a benchmark's command line."""
    help = "load generator: wrk (a C client) or python; auto: wrk when it is installed"
    parser.add_argument("--driver", choices=DRIVERS, default="auto", help=help)


def run_load(port: int, requests: Sequence[bytes], *, count: int = 20_000, duration: float = 30.0,
             concurrency: int = 8, warmup: int = 1_000, warmup_duration: float = 5.0,
             timeout: float = 30.0, host: str = LOOPBACK, driver: str = "auto",
             threads: int = 1) -> dict:  # fmt: skip
    """Send ``warmup`` requests (not measured), then at most ``count`` in at most ``duration`` s.

    ``concurrency`` keep-alive connections take the raw ``requests`` in turn, cycling through
    the list: the warm-up sends ``requests[0:warmup]``, the measured phase the ones after it, so
    a list of ``warmup + count`` requests sends each one once. Both phases use ``driver``
    (``pick_driver``; wrk with ``threads`` threads). An answer slower than ``timeout`` s counts
    as an error. Returns the measured phase's statistics, with ``warmup_requests`` (the warm-up's
    answers) and, when there were errors, ``first_error`` (an example).
    """
    check_loopback(host)
    if not requests:
        raise ValueError("no requests to send")
    if concurrency < 1 or count < 1 or threads < 1:
        raise ValueError("concurrency, count and threads must be at least 1")
    chosen = pick_driver(driver)
    common = {"host": host, "port": port, "concurrency": concurrency, "timeout": timeout}
    with tempfile.TemporaryDirectory(prefix="loadgen-") as folder:
        if chosen == "wrk":
            files = _wrk_files(Path(folder), requests, concurrency)
            phase = functools.partial(_wrk_phase, files, threads=threads, **common)
        else:
            phase = functools.partial(_python_phase, requests, **common)
        warm = phase(0, warmup, warmup_duration)["requests"] if warmup > 0 else 0
        got = phase(max(warmup, 0), count, duration)
    seconds = got["seconds"]
    stats = {"requests": got["requests"], "errors": got["errors"], "seconds": round(seconds, 3),
             "requests_per_s": round(got["requests"] / seconds, 1) if seconds > 0 else 0.0,
             **{f"{k}_ms": round(v, 3) for k, v in zip(QUANTILES, got["ms"], strict=True)},
             "concurrency": concurrency, "driver": chosen, "warmup_requests": warm,
             "client_cpu_s": round(got["client_cpu_s"], 3)}  # fmt: skip
    if got.get("corrected"):  # too many distinct latencies to undo wrk's correction quickly
        stats["latency"] = "corrected for coordinated omission by wrk"
    return stats | ({"first_error": got["first_error"]} if got["errors"] else {})


def describe(stats: Mapping) -> str:
    """One line for people: requests, errors, requests/s, latency percentiles and the driver."""
    return (
        f"{stats['requests']} requests ({stats['errors']} errors) in {stats['seconds']:.1f} s, "
        f"concurrency {stats['concurrency']}: {stats['requests_per_s']:.0f} req/s; latency "
        f"p50 {stats['p50_ms']:.1f} ms, p90 {stats['p90_ms']:.1f} ms, "
        f"p99 {stats['p99_ms']:.1f} ms, max {stats['max_ms']:.1f} ms "
        f"(driver {stats['driver']}, client CPU {stats['client_cpu_s']:.1f} s)"
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
    args = parser.parse_args()
    try:
        check_loopback(args.host)
    except ValueError as error:
        parser.error(str(error))
    paths = [p.strip() for p in Path(args.paths).read_text().splitlines() if p.strip()]
    requests = [get_request(p, args.host) for p in paths]
    stats = run_load(args.port, requests, count=args.requests, duration=args.duration,
                     concurrency=args.concurrency, warmup=args.warmup, host=args.host,
                     driver=args.driver)  # fmt: skip
    if not stats["requests"]:
        raise SystemExit("no request completed")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()

"""The wrk driver of benchmarks/loadgen.py: wrk (a C load generator) sends loadgen's raw requests.

``WRK_SCRIPT`` (Lua, run by wrk) reads the requests' bytes from files and sends them unchanged,
counts non-2xx answers itself (wrk counts only >= 400), stops once ``count`` are answered (wrk
itself knows only durations) and takes wrk's coordinated-omission correction out of the
latencies, so that they compare with loadgen's asyncio client (see loadgen's docstring).
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

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


def write_files(folder: Path, requests: Sequence[bytes], connections: int) -> list[str]:
    """Write the Lua script, the requests' bytes and their sizes to ``folder``; their paths."""
    files = [folder / "loadgen.lua", folder / "requests.bin", folder / "sizes.txt"]
    files[0].write_text(f"local CONNECTIONS = {connections}\n{WRK_SCRIPT}")
    files[1].write_bytes(b"".join(requests))
    files[2].write_text("".join(f"{len(r)}\n" for r in requests))
    return [str(f) for f in files]


def _output(wrk: subprocess.Popen, threads: int, duration: float) -> bytes:
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


def phase(files: Sequence[str], start: int, count: int, duration: float, *, host: str,
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
    out = _output(wrk, threads, duration)
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

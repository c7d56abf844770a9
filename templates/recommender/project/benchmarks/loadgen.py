"""A small HTTP/1.1 load generator: N keep-alive connections, bounded in requests and time.

Run it as its own process (``bench.py`` does) so the server and the client do not share an
interpreter. It speaks just enough HTTP for GET requests with a Content-Length answer.

    python benchmarks/loadgen.py --port 8000 --paths paths.txt --concurrency 8 --requests 20000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path


async def worker(
    host: str, port: int, paths: list[str], start: int, step: int, state: dict
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    i = start
    try:
        while state["sent"] < state["limit"] and time.perf_counter() < state["deadline"]:
            state["sent"] += 1
            path = paths[i % len(paths)]
            i += step
            began = time.perf_counter()
            writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            state["latencies"].append(time.perf_counter() - began)
            if status != 200:
                state["errors"] += 1
    finally:
        writer.close()


async def main_async(args: argparse.Namespace) -> dict:
    paths = [p for p in Path(args.paths).read_text().splitlines() if p]
    results = {}
    for phase, limit, duration in (
        ("warmup", args.warmup, 5.0),
        ("measure", args.requests, args.duration),
    ):
        state = {
            "sent": 0,
            "limit": limit,
            "latencies": [],
            "errors": 0,
            "deadline": time.perf_counter() + duration,
        }
        began = time.perf_counter()
        await asyncio.gather(
            *(
                worker(args.host, args.port, paths, w, args.concurrency, state)
                for w in range(args.concurrency)
            )
        )
        elapsed = time.perf_counter() - began
        lat = sorted(state["latencies"])
        if not lat:
            raise SystemExit("no request completed")

        def pct(q: float, lat: list[float] = lat) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000

        results[phase] = {
            "requests": len(lat),
            "errors": state["errors"],
            "seconds": round(elapsed, 3),
            "requests_per_s": round(len(lat) / elapsed, 1),
            "p50_ms": round(pct(0.50), 3),
            "p90_ms": round(pct(0.90), 3),
            "p99_ms": round(pct(0.99), 3),
            "max_ms": round(lat[-1] * 1000, 3),
        }
    return results["measure"] | {"concurrency": args.concurrency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--paths", required=True, help="file with one request path per line")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=20_000, help="at most this many")
    parser.add_argument("--duration", type=float, default=30.0, help="at most this many seconds")
    parser.add_argument("--warmup", type=int, default=1_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args))))


if __name__ == "__main__":
    main()

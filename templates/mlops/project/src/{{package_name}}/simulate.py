"""Traffic for a running API: generated customers to /predict, their outcomes to /feedback.

Outcomes can arrive late, as churn outcomes do (``label_delay`` seconds: the label-maturity
window, compressed): a churner's outcome arrives at a random moment within the window (when they
cancel), a retained customer's only once it has passed (staying is known only then). So the early
outcomes are the churners', which is why the A/B and the shadow check count only mature ones.
"""

from __future__ import annotations

import heapq
import json
import time
import urllib.request

import numpy as np
from tqdm import tqdm

from .data import generate


def post(url: str, body: dict, api_key: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["X-API-Key"] = api_key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def outcome_delays(churned: np.ndarray, label_delay: float, seed: int) -> np.ndarray:
    """Seconds from each prediction to its outcome: uniform within the window for a churner, the
    whole window for a retained customer."""
    uniform = np.random.default_rng(seed).uniform(0.0, label_delay, len(churned))
    return np.where(churned, uniform, label_delay)


def simulate(
    url: str, rows: int, seed: int, drift: float, api_key: str | None, label_delay: float = 0.0
) -> int:
    """Send ``rows`` customers (and, with ``api_key``, their outcomes, each once it is due:
    :func:`outcome_delays`; at the end, waits for the last ones); return how many."""
    frame = generate(rows, seed=seed, drift=drift, id_prefix="S")
    records = frame.drop(columns=["churn"]).to_dict(orient="records")
    churned = frame["churn"].to_numpy(dtype=bool)
    delays = outcome_delays(churned, label_delay, seed)
    base = url.rstrip("/")
    due: list[tuple[float, int, str]] = []  # (when, row, prediction id): a heap

    def send_due(now: float) -> None:
        while due and due[0][0] <= now:
            _, row, prediction_id = heapq.heappop(due)
            body = {"prediction_id": prediction_id, "churned": bool(churned[row])}
            post(f"{base}/feedback", body, api_key)

    for row, record in enumerate(tqdm(records, total=rows)):
        record = {k: (None if v != v else v) for k, v in record.items()}  # NaN -> null
        answer = post(f"{base}/predict", record)
        if api_key:
            heapq.heappush(due, (time.monotonic() + delays[row], row, answer["prediction_id"]))
            send_due(time.monotonic())
    while due:
        time.sleep(max(0.0, due[0][0] - time.monotonic()))
        send_due(time.monotonic())
    return rows


__all__ = ["outcome_delays", "post", "simulate"]

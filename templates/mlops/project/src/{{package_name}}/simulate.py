"""Traffic for a running API: generated customers to /predict, their outcomes to /feedback."""

from __future__ import annotations

import json
import urllib.request

from tqdm import tqdm

from .data import generate


def post(url: str, body: dict, api_key: str | None = None) -> dict:
    headers = {"Content-Type": "application/json"}
    if api_key:
        headers["X-API-Key"] = api_key
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def simulate(url: str, rows: int, seed: int, drift: float, api_key: str | None) -> int:
    """Send ``rows`` customers (and, with ``api_key``, their outcomes); return how many."""
    frame = generate(rows, seed=seed, drift=drift, id_prefix="S")
    records = frame.drop(columns=["churn"]).to_dict(orient="records")
    base = url.rstrip("/")
    for record, churned in tqdm(zip(records, frame["churn"], strict=True), total=rows):
        record = {k: (None if v != v else v) for k, v in record.items()}  # NaN -> null
        answer = post(f"{base}/predict", record)
        if api_key:
            body = {"prediction_id": answer["prediction_id"], "churned": bool(churned)}
            post(f"{base}/feedback", body, api_key)
    return rows


__all__ = ["post", "simulate"]

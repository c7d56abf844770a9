"""The strict protocol: rolling global cut-offs, so no model sees anybody's future.

The last ``share`` of the log's events is cut into ``n`` windows of equal event counts. At each
window's start (the cut-off) every model is fit on the events before it, everybody's, and every
user with training history and a new positive inside the window is scored on those positives.
The (user, cut-off) evaluations are pooled; the served model is compared with popularity by a
paired bootstrap over users (all of a user's cut-offs are resampled together, so a user scored at
many cut-offs does not count as independent evidence).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from .evaluation import score_model
from .fitting import fit_model
from .prepare import Config, prepare
from .stats import paired_bootstrap


def cutoffs(timestamps: pd.Series, n: int, share: float) -> np.ndarray:
    """``n`` cut-off times over the last ``share`` of events, then the end (exclusive)."""
    if n < 1 or not 0.0 < share < 1.0:
        raise ValueError("rolling evaluation needs n >= 1 cut-offs and 0 < share < 1")
    quantiles = 1.0 - share + share * np.arange(n) / n
    starts = np.unique(np.quantile(timestamps.to_numpy(), quantiles, method="lower"))
    return np.append(starts, timestamps.max() + 1)


def evaluate(
    interactions: pd.DataFrame,
    items: np.ndarray,
    tokens: list[list[str]],
    cfg: Config,
    names: tuple[str, ...],
) -> dict[str, object]:
    """Pooled (user, cut-off) NDCG@k of ``names``; the first is compared with popularity."""
    times = interactions["timestamp"]
    bounds = cutoffs(times, cfg.cutoffs, cfg.rolling_share)
    users, windows, per_model = [], [], {name: [] for name in names}
    for start, end in zip(bounds[:-1], bounds[1:], strict=True):
        train = interactions[times < start]
        target = interactions[(times >= start) & (times < end)]
        if train.empty or target.empty:
            continue
        try:
            prep = prepare(train, target, items, cfg)
        except ValueError:  # no positives before this cut-off
            continue
        windows.append({"cutoff": int(start), "evaluations": len(prep.eval_rows)})
        if not len(prep.eval_rows):
            continue
        users.extend(prep.users[prep.eval_rows].tolist())
        for name in names:
            model = fit_model(name, prep.positives, tokens, cfg.params.get(name), cfg.seed)
            per_model[name].append(score_model(model, prep, cfg.k, detail=False).per_user["ndcg"])
    if not users:
        return {"evaluations": 0, "windows": windows}
    ndcg = {name: np.concatenate(parts) for name, parts in per_model.items()}
    out = {"evaluations": len(users), "users": len(set(users)), "windows": windows}
    out.update(share=cfg.rolling_share, ndcg={n: float(v.mean()) for n, v in ndcg.items()})
    if names[0] != "popularity" and "popularity" in ndcg:
        out["comparison"] = user_clustered_lift(users, ndcg[names[0]], ndcg["popularity"])
    return out


def user_clustered_lift(
    users: list[str], a: np.ndarray, b: np.ndarray
) -> dict[str, float | bool | None]:
    """mean(a)/mean(b) over (user, cut-off) rows, with a paired bootstrap over users."""
    frame = pd.DataFrame({"user": users, "a": a, "b": b, "n": 1.0}).groupby("user").sum()
    if frame["b"].sum() == 0:
        return {"ratio": None, "low": None, "high": None, "includes_1": True}
    a, b, n = (frame[c].to_numpy() for c in ("a", "b", "n"))
    point, low, high = paired_bootstrap(lambda s, c: s.sum() / c.sum(), [a, n], [b, n], ratio=True)
    return {"ratio": point, "low": low, "high": high, "includes_1": bool(low <= 1.0 <= high)}


def strict_protocol(
    data: pd.DataFrame,
    items: np.ndarray,
    tokens: list[list[str]],
    cfg: Config,
    served: str,
    log: Callable[[str], None],
) -> dict[str, object]:
    """The served model and popularity under rolling global cut-offs, logged in one line."""
    if not cfg.cutoffs:
        return {}
    began = time.perf_counter()
    result = evaluate(data, items, tokens, cfg, tuple(dict.fromkeys((served, "popularity"))))
    lift, figure = result.get("comparison") or {}, ""
    if lift.get("ratio") is not None:
        figure = f"; {served} / popularity NDCG@{cfg.k} {lift['ratio']:.2f}x"
        figure += f" [{lift['low']:.2f}, {lift['high']:.2f}]"
    log(
        f"strict protocol: {result['evaluations']} (user, cut-off) evaluations at "
        f"{len(result['windows'])} global cut-offs{figure} ({time.perf_counter() - began:.1f}s)"
    )
    return result

"""Every model against the best baseline: paired bootstrap over the same origins.

The best baseline is the naive or seasonal naive with the lowest validation MASE. A model beats
it only when the 95% interval of its mean MASE difference, resampling (series, origin) pairs
together, lies below 0; the verdict says so in one line, or says that nothing beats it. The
serving gate decides on the validation origins; the report's verdict is on the test origins, which
no choice has looked at.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .models import BASELINES
from .stats import paired_bootstrap


def best_baseline(origins: pd.DataFrame) -> str | None:
    val = origins[(origins["block"] == "val") & origins["model"].isin(BASELINES)]
    if val.empty:
        return None
    return str(val.groupby("model")["mase"].mean().idxmin())


def compare(origins: pd.DataFrame, seed: int = 0, block: str = "test") -> dict:
    """``{"baseline", "block", "origins", "models": {name: difference, low, high, verdict},
    "verdict"}`` on the ``block`` ("test" or "val") origins."""
    baseline = best_baseline(origins)
    if baseline is None:
        return {"baseline": None, "models": {}, "verdict": "no baseline was backtested"}
    where = "test" if block == "test" else "validation"
    chosen = origins[origins["block"] == block]
    paired = chosen.pivot_table(index=["unique_id", "origin"], columns="model", values="mase")
    paired = paired.dropna()
    rows = {}
    for name in paired.columns:
        if name == baseline:
            continue
        diff, low, high = paired_bootstrap(
            np.mean, paired[name].to_numpy(), paired[baseline].to_numpy(), seed=seed
        )
        verdict = "better" if high < 0 else "worse" if low > 0 else "not different"
        rows[str(name)] = {"difference": diff, "low": low, "high": high, "verdict": verdict}
    better = sorted((r["difference"], n) for n, r in rows.items() if r["verdict"] == "better")
    if better:
        diff, name = better[0]
        verdict = (
            f"{name} beats the best baseline, {baseline}, by {-diff:.3f} MASE on the {where} origins "
            f"(95% paired interval {-rows[name]['high']:.3f} to {-rows[name]['low']:.3f})."
        )
    else:
        verdict = (
            f"No model beats the best baseline, {baseline}, on the {where} origins (no paired 95% "
            "interval of the MASE difference excludes 0): use its forecasts, or improve the models."
        )
    return {
        "baseline": baseline,
        "block": block,
        "origins": len(paired),
        "models": rows,
        "verdict": verdict,
    }


def gate(
    comparison: dict, winner: str, posted: str, forced: str = "", postable: tuple[str, ...] = ()
) -> dict:
    """What `train` serves: the validation ``winner`` (and the ``posted`` model for posted
    histories) only where it beats the best baseline in ``comparison`` (made on the validation
    origins: paired 95% interval of the MASE difference below 0), else the best baseline;
    ``forced`` (``--serve``) overrides it. A forced model in ``postable`` serves posted histories
    too. No test origin takes part in the choice, so the test figures stay unbiased."""
    baseline = comparison["baseline"]

    def passes(name: str) -> bool:
        verdict = comparison["models"].get(name, {}).get("verdict")
        return baseline is None or name == baseline or verdict == "better"

    if forced:
        served = forced
        why = f"{forced} is served as asked (--serve)"
        if not passes(forced):
            why += f", although it does not beat the best baseline, {baseline}"
    elif passes(winner):
        served = winner
        why = f"{winner}, the winner on validation, is served" + (
            " (no baseline was backtested to gate it)"
            if baseline is None
            else f": it beats the best baseline, {baseline}, on the validation origins"
            if winner != baseline
            else ""
        )
    else:
        served = baseline
        why = (
            f"the best baseline, {baseline}, is served: {winner}, the winner on validation, does "
            "not beat it on the validation origins (its paired 95% interval does not exclude 0); "
            "`train --serve MODEL` serves another model"
        )
    posted_served = forced if forced in postable else posted if passes(posted) else baseline
    return {"model": served, "posted_model": posted_served, "reason": why + "."}

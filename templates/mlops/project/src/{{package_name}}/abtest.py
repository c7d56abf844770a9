"""The A/B decision: champion and challenger *versions* compared on logged outcomes.

Each answered prediction with a *mature* outcome is one observation: its log loss (a proper
scoring rule: lower is better). An outcome counts only when its prediction is older than
``ab.label_maturity_days`` (churn is known weeks later; counting the outcomes that arrived early
would count the early churners first), and both arms are read the same way.

Two kinds of evidence, both concurrent by construction:

- **The A/B test.** The challenger's answered traffic from the moment it started answering, and
  as control only the champion's answers *from that same moment* (its earlier traffic, another
  period with other customers, is never the control). A sample-ratio check compares the arms'
  customer counts with ``routing.challenger_share``: a mismatch means broken routing, and no
  decision is taken. ``ab.test: sequential`` (default) uses an always-valid p-value
  (:mod:`.sequential`), safe to look at daily; ``fixed`` one Welch test at the power analysis'
  horizon.
- **The paired shadow comparison.** While the challenger sat in the shadow, both models scored
  the same requests: per customer the difference of the two log losses, tested with an
  always-valid paired test. Pairing removes the spread between customers, so it decides with a
  fraction of the outcomes the unpaired A/B needs.

*promote* needs one of the two significantly better at ``ab.alpha / 2`` (Bonferroni over the
two) and neither significantly worse; *stop* when either is significantly worse at
``ab.alpha``, or for futility; otherwise *keep*, with the outcomes still needed.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from .artifacts import CHALLENGER, CHAMPION
from .config import ABSettings
from .predlog import SHADOW_SUFFIX
from .sequential import BURN_IN, always_valid_p, always_valid_paired_p

DAY = 86_400.0
SRM_ALPHA = 0.001  # a sample-ratio mismatch this unlikely under correct routing voids the test


def log_loss_each(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """The log loss of every (outcome, probability) pair."""
    p = np.clip(np.asarray(p, dtype=float), 1e-6, 1 - 1e-6)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def log_losses(rows: pd.DataFrame, column: str = "score") -> np.ndarray:
    """The log loss of ``column`` for every row of ``rows`` with an outcome."""
    known = rows.dropna(subset=["churn"])
    return log_loss_each(known["churn"].astype(int).to_numpy(), known[column].to_numpy(float))


def mature(rows: pd.DataFrame, maturity_days: float, now: float) -> pd.DataFrame:
    """``rows`` whose outcome window has closed, with an outcome (the others are pending)."""
    return rows[(rows["ts"] <= now - maturity_days * DAY) & rows["churn"].notna()]


def required_n(sd: float, effect: float, alpha: float, power: float) -> int:
    """Observations per arm for a two-sided two-sample test to detect ``effect``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(2 * (z * sd / effect) ** 2))


def _latest(rows: pd.DataFrame) -> str | None:
    return None if rows.empty else str(rows.sort_values("ts")["model_version"].iloc[-1])


def concurrent_arms(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, float | None]:
    """(champion rows, challenger rows, start): the answers of the latest challenger version
    and the champion's answers from the first of them onward (the same period)."""
    served = frame[frame["served"] == 1]
    challenger = served[served["variant"] == CHALLENGER]
    version = _latest(challenger)
    challenger = challenger[challenger["model_version"].astype(str) == version]
    if challenger.empty:
        return served.iloc[:0], challenger, None
    start = float(challenger["ts"].min())
    champion = served[(served["variant"] == CHAMPION) & (served["ts"] >= start)]
    champion = champion[champion["model_version"].astype(str) == _latest(champion)]
    return champion, challenger, start


def shadow_pairs(frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """Per request that ``version`` scored in the shadow: the champion's answer (``score``,
    ``churn``, ``ts``) and the shadow score (``shadow_score``)."""
    shadow = frame[
        (frame["served"] == 0)
        & (frame["variant"] == CHALLENGER)
        & (frame["model_version"].astype(str) == version)
    ]
    keys = shadow["prediction_id"].str.removesuffix(SHADOW_SUFFIX)
    shadow_scores = pd.Series(shadow["score"].to_numpy(float), index=keys.to_numpy())
    answers = frame[(frame["served"] == 1) & frame["prediction_id"].isin(shadow_scores.index)]
    answers = answers.assign(shadow_score=shadow_scores.loc[answers["prediction_id"]].to_numpy())
    return answers.sort_values("ts", kind="stable")


def sample_ratio(n_champion: int, n_challenger: int, share: float) -> dict:
    """Chi-square test of the arms' customer counts against the configured share."""
    total = n_champion + n_challenger
    if total == 0 or not 0 < share < 1:
        return {"expected_share": share, "observed_share": None, "p_value": None, "ok": True}
    expected = np.array([1 - share, share]) * total
    p = float(stats.chisquare([n_champion, n_challenger], expected).pvalue)
    return {
        "expected_share": share,
        "observed_share": n_challenger / total,
        "p_value": p,
        "ok": p >= SRM_ALPHA,
    }


def _arm(variant: str, rows: pd.DataFrame, outcomes: pd.DataFrame) -> dict:
    losses = log_losses(outcomes)
    correct = (outcomes["label"].astype(int) == outcomes["churn"].astype(int)).to_numpy()
    return {
        "variant": variant,
        "model_version": _latest(rows),
        "predictions": int(len(rows)),
        "customers": int(rows["entity_id"].nunique()) if "entity_id" in rows else int(len(rows)),
        "outcomes": int(len(losses)),
        "pending": int(len(rows) - len(losses)),  # no outcome yet, or not mature yet
        "log_loss": float(losses.mean()) if len(losses) else float("nan"),
        "accuracy": float(correct.mean()) if len(correct) else float("nan"),
    }


def _paired(frame: pd.DataFrame, version: str | None, settings: ABSettings, now: float) -> dict:
    """The always-valid paired test on ``version``'s mature shadow pairs."""
    out = {"pairs": 0, "difference": None, "p_value": None, "required": None}
    if version is None:
        return out
    pairs = mature(shadow_pairs(frame, version), settings.label_maturity_days, now)
    d = log_losses(pairs, "shadow_score") - log_losses(pairs)  # < 0: the challenger is better
    out["pairs"] = int(len(d))
    if len(d) >= 2:
        sd = float(d.std(ddof=1)) or 1e-9
        out.update(
            difference=float(d.mean()),
            p_value=float(always_valid_paired_p(d, settings.min_effect)[-1]),
            required=required_n(sd, settings.min_effect, settings.alpha / 2, settings.power) // 2,
        )
    return out


def _unpaired(champion: np.ndarray, challenger: np.ndarray, order, settings: ABSettings) -> dict:
    """The A/B arms' test: always-valid (sequential) or Welch at the horizon (fixed)."""
    out = {"difference": None, "p_value": None, "required_per_arm": None, "max_per_arm": None}
    if min(len(champion), len(challenger)) < 2:
        return out
    sd = float(np.sqrt((champion.var(ddof=1) + challenger.var(ddof=1)) / 2)) or 1e-9
    need = required_n(sd, settings.min_effect, settings.alpha / 2, settings.power)
    out.update(difference=float(challenger.mean() - champion.mean()), required_per_arm=need)
    if settings.test == "sequential":
        values, is_b = order
        out.update(
            p_value=float(always_valid_p(values, is_b, settings.min_effect)[-1]),
            max_per_arm=math.ceil(need * settings.max_n_factor),
        )
    else:
        test = stats.ttest_ind(challenger, champion, equal_var=False)
        out.update(p_value=float(test.pvalue) if np.isfinite(test.pvalue) else 1.0)
        out.update(max_per_arm=need)
    return out


def plan(frame: pd.DataFrame, version: str, settings: ABSettings, share: float) -> str:
    """What the A/B of ``version`` will need, from its shadow period's traffic and outcomes."""
    pairs = shadow_pairs(frame, version)
    labelled = pairs.dropna(subset=["churn"])
    if len(labelled) < 2 or share <= 0:
        return "too few labelled shadow requests to size the A/B"
    sd = float(log_losses(labelled).std(ddof=1)) or 1e-9
    need = required_n(sd, settings.min_effect, settings.alpha / 2, settings.power)
    per_day = len(pairs) / max(float(pairs["ts"].max() - pairs["ts"].min()) / DAY, 1e-6)
    rate = per_day * len(labelled) / len(pairs) * share  # challenger outcomes per day
    days = need / rate + settings.label_maturity_days
    paired = _paired(frame, version, settings, time.time())
    evidence = (
        f"the paired shadow evidence already has {paired['pairs']} mature pairs "
        f"(about {paired['required']} decide at ab.min_effect)"
        if paired["required"] is not None
        else "no mature paired shadow evidence yet"
    )
    return (
        f"an unpaired A/B needs about {need} mature outcomes per arm: about {days:.3g} days "
        f"at {per_day:.3g} requests/day, {len(labelled) / len(pairs):.0%} labelled, "
        f"challenger share {share:g}, {settings.label_maturity_days:g}-day maturity; {evidence}"
    )


def ab_report(
    frame: pd.DataFrame,
    settings: ABSettings,
    challenger_share: float,
    now: float | None = None,
) -> dict:
    """The decision on ``frame`` (the whole prediction log, served and shadow rows)."""
    if settings.test not in ("sequential", "fixed"):
        raise ValueError(f"ab.test must be sequential or fixed, not {settings.test!r}")
    now = time.time() if now is None else now
    if "served" not in frame:
        frame = frame.assign(served=1)
    champion, challenger, start = concurrent_arms(frame)
    days = settings.label_maturity_days
    both_arms = ((CHAMPION, champion), (CHALLENGER, challenger))
    done = {v: mature(rows, days, now) for v, rows in both_arms}
    arms = [_arm(v, rows, done[v]) for v, rows in both_arms]
    both = pd.concat([done[CHAMPION], done[CHALLENGER]]).sort_values("ts", kind="stable")
    order = (log_losses(both), (both["variant"] == CHALLENGER).to_numpy())
    ab = _unpaired(log_losses(done[CHAMPION]), log_losses(done[CHALLENGER]), order, settings)
    paired = _paired(frame, arms[1]["model_version"], settings, now)
    srm = sample_ratio(arms[0]["customers"], arms[1]["customers"], challenger_share)
    report = {
        "generated_at": now,
        "metric": "log_loss",
        "test": settings.test,
        "alpha": settings.alpha,
        "power": settings.power,
        "min_effect": settings.min_effect,
        "label_maturity_days": days,
        "period": {"start": start, "end": now, "mature_before": now - days * DAY},
        "arms": arms,
        "sample_ratio": srm,
        "ab": ab,
        "paired": paired,
        # the A/B's figures at the top level, as before
        "required_per_arm": ab["required_per_arm"],
        "max_per_arm": ab["max_per_arm"],
        "p_value": ab["p_value"],
        "difference": ab["difference"],
    }
    return {**report, **decide(report, settings)}


def decide(report: dict, settings: ABSettings) -> dict[str, str]:
    """promote / stop / keep from the report's A/B and paired evidence, with the reason."""
    ab, paired, srm, arms = report["ab"], report["paired"], report["sample_ratio"], report["arms"]
    alpha, fixed = settings.alpha, settings.test == "fixed"
    have = min(a["outcomes"] for a in arms)

    def verdict(decision: str, reason: str) -> dict[str, str]:
        return {"decision": decision, "reason": reason}

    if arms[1]["model_version"] is None:
        return verdict("keep", "the challenger has answered no request yet")
    if not srm["ok"]:
        return verdict(
            "keep",
            f"sample ratio mismatch: challenger share {srm['observed_share']:.3f} of customers, "
            f"expected {srm['expected_share']:.3f} (p={srm['p_value']:.2g}); fix the routing, "
            "no decision",
        )
    p_ab, d_ab = ab["p_value"], ab["difference"]
    p_pair, d_pair = paired["p_value"], paired["difference"]
    ab_ready = p_ab is not None and (not fixed or have >= ab["required_per_arm"])
    if ab_ready and d_ab > 0 and p_ab < alpha:
        why = f"challenger's log loss higher by {d_ab:.4f} in the A/B (p={p_ab:.2g})"
        return verdict("stop", why)
    if p_pair is not None and d_pair > 0 and p_pair < alpha:
        return verdict(
            "stop",
            f"challenger's log loss higher by {d_pair:.4f} on {paired['pairs']} paired shadow "
            f"customers (always-valid p={p_pair:.2g})",
        )
    if p_pair is not None and d_pair < 0 and p_pair < alpha / 2:
        return verdict(
            "promote",
            f"challenger's log loss lower by {-d_pair:.4f} on {paired['pairs']} paired shadow "
            f"customers (always-valid p={p_pair:.2g} < {alpha / 2:g}); not worse in the A/B",
        )
    if ab_ready and d_ab < 0 and p_ab < alpha / 2:
        kind = "always-valid p" if not fixed else "Welch p"
        return verdict(
            "promote", f"challenger's log loss lower by {-d_ab:.4f} in the A/B ({kind}={p_ab:.2g})"
        )
    cap = ab["max_per_arm"]
    if cap is not None and have >= cap:
        return verdict("stop", f"no significant difference in {have} outcomes per arm: futile")
    if have < BURN_IN and paired["pairs"] < BURN_IN:
        return verdict(
            "keep",
            f"{have} mature outcomes per arm and {paired['pairs']} paired shadow outcomes "
            f"(pending: {arms[0]['pending']} + {arms[1]['pending']})",
        )
    need = f"{have} outcomes per arm"
    if ab["required_per_arm"] is not None:
        need = f"{have} of about {ab['required_per_arm']} outcomes per arm"
    if paired["required"] is not None:
        need += f", {paired['pairs']} of about {paired['required']} paired"
    return verdict("keep", f"no significant difference yet ({need})")

"""Plots: the winner's forecasts with intervals against actuals, errors by hour and weekday."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def plot_all(frame: pd.DataFrame, origins: pd.DataFrame, winner: str, reports: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    test = frame[frame["block"] == "test"]
    uid = sorted(test["unique_id"].unique())[0]
    series = test[(test["model"] == winner) & (test["unique_id"] == uid)].sort_values("ds")
    last = series["origin"].unique()[-7:]
    shown = series[series["origin"].isin(last)]
    fig, ax = plt.subplots(figsize=(11, 4))
    for _origin, g in shown.groupby("origin"):
        ax.fill_between(g["ds"], g["lo_90"], g["hi_90"], color="tab:blue", alpha=0.15, lw=0)
        ax.fill_between(g["ds"], g["lo_80"], g["hi_80"], color="tab:blue", alpha=0.25, lw=0)
        ax.plot(g["ds"], g["forecast"], color="tab:blue", lw=1.2)
    ax.plot(shown["ds"], shown["actual"], color="black", lw=1, label="actual")
    ax.set_title(f"{winner} on {uid}: last test origins, 80/90% conformal intervals")
    ax.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(reports / "forecasts.png", dpi=110)
    plt.close(fig)

    test = test.assign(
        abs_err=(test["actual"] - test["forecast"]).abs() / test["scale"],
        hour=test["ds"].dt.hour,
        weekday=test["ds"].dt.dayofweek,
    )
    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    for name, g in test.groupby("model", sort=False):
        axes[0].plot(g.groupby("hour")["abs_err"].mean(), label=name, lw=1.2)
        axes[1].plot(g.groupby("weekday")["abs_err"].mean(), marker="o", label=name, lw=1.2)
    axes[0].set(title="Seasonal-scaled absolute error by hour of day (test)", xlabel="hour")
    axes[1].set(title="by day of week (0 = Monday)", xlabel="weekday")
    for ax in axes:
        ax.set_yscale("log")  # a poor baseline (naive) would flatten the useful models
    axes[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(reports / "errors.png", dpi=110)
    plt.close(fig)
    return ["forecasts.png", "errors.png"]

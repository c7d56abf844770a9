"""A canary with automatic rollback: the challenger answers a share of the traffic that grows in
steps (``canary.steps``) while three guards compare it with the champion over the same period:

- **errors**: its error rate exceeds the champion's by more than ``max_error_rate_increase``;
- **latency**: its p95 latency exceeds the champion's by ``max_latency_ratio`` and by at least
  ``latency_floor_ms`` (millisecond noise is not a regression);
- **quality**: on labelled feedback its mean log loss exceeds the champion's by more than
  ``max_log_loss_increase``.

Each guard judges only after its minimum sample (``min_requests`` challenger answers,
``min_labelled`` outcomes per arm). A tripped guard rolls back at once: the share drops to 0 (the
champion answers everything) and ``on_rollback`` persists it to the model source, so every
worker's hot reload follows. Without a tripped guard the share grows after ``step_requests``
challenger answers at a step, and stays at the last step until the A/B decision (``ab-report``).
Each worker judges its own traffic; a restart begins again at the first step.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .artifacts import CHALLENGER, CHAMPION
from .config import CanarySettings
from .router import Router

LATENCY_WINDOW = 2000  # latest answers per arm that the latency guard looks at
CHECK_EVERY = 25  # observations between two evaluations of the guards


@dataclass
class ArmStats:
    """What one arm did since the canary started."""

    requests: int = 0
    errors: int = 0
    latencies: deque = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))
    loss_sum: float = 0.0
    labelled: int = 0

    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def p95_ms(self) -> float:
        return float(np.percentile(self.latencies, 95)) * 1000 if self.latencies else 0.0

    def log_loss(self) -> float:
        return self.loss_sum / self.labelled if self.labelled else math.nan


@dataclass
class Rollback:
    """Why a canary was rolled back."""

    guard: str  # errors, latency or quality
    reason: str


class Canary:
    """Steps the router's challenger share and rolls back when a guard trips."""

    def __init__(
        self,
        settings: CanarySettings,
        router: Router,
        on_rollback: Callable[[Rollback], None] | None = None,
        on_step: Callable[[float], None] | None = None,
    ) -> None:
        if not settings.steps or not all(0 < s <= 1 for s in settings.steps):
            raise ValueError("canary.steps must be shares in (0, 1]")
        self.settings, self.router = settings, router
        self.on_rollback, self.on_step = on_rollback, on_step
        self.arms = {CHAMPION: ArmStats(), CHALLENGER: ArmStats()}
        self.step = 0
        self.at_step = 0  # challenger answers at the current step
        self.rollback: Rollback | None = None
        self._since_check = 0
        router.challenger_share = settings.steps[0]

    @property
    def share(self) -> float:
        return self.router.challenger_share

    @property
    def state(self) -> str:
        if self.rollback is not None:
            return "rolled_back"
        return "complete" if self.step == len(self.settings.steps) - 1 else "stepping"

    def record(self, variant: str, seconds: float, ok: bool = True) -> None:
        """One answer (or failure) of ``variant`` and how long it took."""
        arm = self.arms[variant]
        arm.requests += 1
        arm.errors += not ok
        if ok:
            arm.latencies.append(seconds)
        if variant == CHALLENGER:
            self.at_step += 1
        self._tick()

    def record_outcome(self, variant: str, score: float, churned: bool) -> None:
        """The true outcome of one of ``variant``'s answers (from /feedback)."""
        p = min(max(score, 1e-6), 1 - 1e-6)
        arm = self.arms[variant]
        arm.loss_sum += -math.log(p if churned else 1 - p)
        arm.labelled += 1
        self._tick()

    def _tick(self) -> None:
        self._since_check += 1
        if self._since_check >= CHECK_EVERY:
            self._since_check = 0
            self.check()

    def tripped(self) -> Rollback | None:
        """The first guard that trips now, or None."""
        s, old, new = self.settings, self.arms[CHAMPION], self.arms[CHALLENGER]
        if new.requests >= s.min_requests:
            gap = new.error_rate() - old.error_rate()
            if gap > s.max_error_rate_increase:
                return Rollback(
                    "errors",
                    f"error rate {new.error_rate():.3f} vs champion {old.error_rate():.3f} "
                    f"over {new.requests} answers (limit +{s.max_error_rate_increase})",
                )
            ours, theirs = new.p95_ms(), old.p95_ms()
            if old.latencies and ours > max(
                theirs * s.max_latency_ratio, theirs + s.latency_floor_ms
            ):
                return Rollback(
                    "latency",
                    f"p95 latency {ours:.1f} ms vs champion {theirs:.1f} ms "
                    f"(limit x{s.max_latency_ratio}, +{s.latency_floor_ms} ms)",
                )
        if min(old.labelled, new.labelled) >= s.min_labelled:
            gap = new.log_loss() - old.log_loss()
            if gap > s.max_log_loss_increase:
                return Rollback(
                    "quality",
                    f"log loss {new.log_loss():.4f} vs champion {old.log_loss():.4f} on "
                    f"{new.labelled}/{old.labelled} outcomes (limit +{s.max_log_loss_increase})",
                )
        return None

    def check(self) -> str:
        """Evaluate the guards: roll back, grow the share, or hold; returns the state."""
        if self.rollback is not None:
            return self.state
        tripped = self.tripped()
        if tripped is not None:
            self.rollback = tripped
            self.router.challenger_share = 0.0
            if self.on_rollback is not None:
                self.on_rollback(tripped)
        elif self.state == "stepping" and self.at_step >= self.settings.step_requests:
            self.step += 1
            self.at_step = 0
            self.router.challenger_share = self.settings.steps[self.step]
            if self.on_step is not None:
                self.on_step(self.share)
        return self.state

    def info(self) -> dict:
        """The canary's state for /health and /models."""
        return {
            "state": self.state,
            "step": self.step,
            "steps": list(self.settings.steps),
            "share": self.share,
            "rollback": None if self.rollback is None else self.rollback.__dict__,
            "arms": {
                v: {
                    "requests": a.requests,
                    "error_rate": a.error_rate(),
                    "p95_ms": a.p95_ms(),
                    "labelled": a.labelled,
                    "log_loss": None if not a.labelled else a.log_loss(),
                }
                for v, a in self.arms.items()
            },
        }

"""What serves now: the champion and challenger, their routing, and hot reload.

The API follows its model source (``artifacts/`` or the registry aliases): a background task
checks every ``serve.reload_seconds`` which version each alias points at; on a change it loads
the new models in a worker thread and swaps the whole :class:`Deployed` in one assignment, so a
request sees either the old set or the new one, never a mix, and none fails during the swap.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from .artifacts import CHALLENGER, CHAMPION, MODES, ROLLED_BACK, ModelNotFound, ModelRecord
from .canary import Canary, Rollback
from .config import Settings
from .onnx_model import OnnxScorer
from .registry import fingerprint, load_variants
from .router import Router


@dataclass(frozen=True)
class Deployed:
    """One consistent set of models and the routing between them."""

    models: dict[str, ModelRecord]
    scorers: dict[str, OnnxScorer]
    router: Router
    mode: str
    canary: Canary | None = None
    loaded_at: float = field(default_factory=time.time)

    def versions(self) -> dict[str, str]:
        return {variant: record.version for variant, record in self.models.items()}

    def digests(self) -> dict[str, str]:
        return {variant: record.digest for variant, record in self.models.items()}

    def route(self, entity_id: str) -> tuple[str, str | None]:
        """(variant that answers, variant scored in the shadow or None)."""
        if self.mode == "shadow":
            return CHAMPION, (CHALLENGER if CHALLENGER in self.models else None)
        return self.router.variant(entity_id), None


class Deployment:
    """The current :class:`Deployed` (None until a champion exists) and its reloading."""

    def __init__(
        self,
        settings: Settings,
        on_rollback: Callable[[ModelRecord, Rollback], None] | None = None,
        on_step: Callable[[float], None] | None = None,
    ) -> None:
        self.settings = settings
        self.current: Deployed | None = None
        self.load_error: str | None = None
        self.reloads = 0
        self._seen: tuple | None = None
        self.on_rollback, self.on_step = on_rollback, on_step

    def _source(self) -> tuple[str, Path, str]:
        serve = self.settings.serve
        return serve.model_source, Path(serve.artifacts_dir), self.settings.train.model_name

    def load(self) -> Deployed:
        """Load every variant now (blocking) and build its scorers."""
        models = load_variants(*self._source())
        if getattr(models.get(CHALLENGER), "mode", None) == ROLLED_BACK:
            del models[CHALLENGER]  # its canary failed: the champion serves alone
        routing = self.settings.routing
        mode = routing.mode
        challenger = models.get(CHALLENGER)
        if challenger is not None and challenger.mode in MODES:
            mode = challenger.mode  # retrain or `promote --to` chose how it serves
        if mode not in MODES:
            raise ValueError(f"routing.mode must be one of {', '.join(MODES)}, not {mode!r}")
        share = routing.challenger_share if mode == "ab" else 0.0
        router = Router(share, routing.salt, has_challenger=challenger is not None)
        canary = None
        if mode == "canary" and challenger is not None:
            canary = Canary(
                self.settings.canary,
                router,
                on_rollback=partial(self.on_rollback, challenger) if self.on_rollback else None,
                on_step=self.on_step,
            )
        scorers = {variant: OnnxScorer(record.graph()) for variant, record in models.items()}
        return Deployed(models, scorers, router, mode, canary)

    def refresh(self) -> bool:
        """Reload when the source's versions changed (blocking); True when a new set serves."""
        try:
            seen = fingerprint(*self._source())
        except Exception as exc:  # the registry is unreachable: keep serving what we have
            self.load_error = f"cannot check the model source: {exc}"
            return False
        if seen == self._seen and self.current is not None:
            return False
        try:
            deployed = self.load()
        except (ModelNotFound, ValueError, ImportError, OSError) as exc:
            self.load_error = str(exc)
            self._seen = seen
            return False
        self.current, self.load_error, self._seen = deployed, None, seen
        self.reloads += 1
        return True

    async def watch(self, on_change) -> None:  # noqa: ANN001 - a callable taking Deployed
        """Poll the source forever; call ``on_change(deployed)`` after each swap."""
        interval = self.settings.serve.reload_seconds
        while interval > 0:
            await asyncio.sleep(interval)
            if await asyncio.to_thread(self.refresh):
                on_change(self.current)

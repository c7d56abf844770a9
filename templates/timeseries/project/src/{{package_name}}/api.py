"""FastAPI app: POST /forecast for a known series or a posted history, health, metadata, demo.

The forecaster is loaded in the lifespan and reloaded when `train` publishes new artifacts
(reloader.Reloader); every answer names the served model's version (a content hash), in its
body and, errors included, in the ``Model-Version`` header. Set ``ARTIFACTS_DIR`` to serve
another folder.
Every error is an RFC 9457 problem (``application/problem+json``) documented in the schema.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Literal

from fastapi import FastAPI, Request
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import __version__
from .artifacts import META_FILE
from .demo import add_demo_page
from .problems import ProblemError, install_problem_handlers, problem_responses
from .reloader import Reloader
from .serving import BadRequest, Forecaster

MAX_HISTORY = 20_000
Level = Literal[80, 90]  # the conformal levels calibrated by `train`
Column = Annotated[str, Field(max_length=100)]
Columns = Annotated[dict[Column, list[float]], Field(max_length=50)]


class SeriesRequest(BaseModel):
    """Forecast after the last stored value of a known series."""

    model_config = ConfigDict(extra="forbid")
    series_id: str = Field(max_length=200, examples=["zone-1"])
    horizon: int = Field(default=24, ge=1, le=10_000)
    levels: list[Level] = Field(default=[80, 90], max_length=2)
    future_exog: Columns | None = Field(
        default=None, description="Exogenous values over the horizon, if the model uses them"
    )


class HistoryRequest(BaseModel):
    """Forecast after a posted history (regular, sorted timestamps and finite values)."""

    model_config = ConfigDict(extra="forbid")
    timestamps: list[Annotated[str, Field(max_length=40)]] = Field(max_length=MAX_HISTORY)
    values: list[float] = Field(max_length=MAX_HISTORY)
    horizon: int = Field(default=24, ge=1, le=10_000)
    levels: list[Level] = Field(default=[80, 90], max_length=2)
    exog: Columns | None = Field(default=None, description="Exogenous values over the history")
    future_exog: Columns | None = Field(default=None, description="... and over the horizon")


def _request_kind(body: object) -> str:
    """A body naming ``series_id`` asks for a known series, any other one posts a history (so a
    bad field is reported against the request it belongs to, not against both kinds)."""
    return "series" if isinstance(body, dict) and "series_id" in body else "history"


ForecastRequest = Annotated[
    Annotated[SeriesRequest, Tag("series")] | Annotated[HistoryRequest, Tag("history")],
    Discriminator(_request_kind),
]


class Interval(BaseModel):
    lower: list[float]
    upper: list[float]


class ForecastResponse(BaseModel):
    model: str = Field(description="The model that produced this forecast")
    series_id: str | None
    timestamps: list[str]
    forecast: list[float]
    intervals: dict[str, Interval]
    model_version: str = Field(description="Content hash of the served artifacts")


class Health(BaseModel):
    status: Literal["ok", "stale"] = Field(
        description="stale: new artifacts were published but could not be loaded (see detail)"
    )
    model: str
    model_version: str
    detail: str | None = None


class History(BaseModel):
    series_id: str
    end: str
    values: list[float]
    model_version: str


class Metadata(BaseModel):
    version: str
    model: str
    posted_model: str
    exog: dict[str, list[str]]
    freq: str
    horizon: int
    min_history: int
    levels: list[int]
    series: list[str]
    test_metrics: dict[str, float]
    comparison: dict = Field(default={}, description="Every model against the best baseline")
    served_reason: str = Field(description="Why this model is served (the baseline gate)")
    source: str
    data_fingerprint: str
    model_version: str


class ModelVersionHeader:
    """Every HTTP answer, problems included, names the model loaded when it was sent in its
    ``Model-Version`` header (a plain ASGI middleware: no per-request task, unlike @middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_version(message: Message) -> None:
            live = getattr(scope["app"].state, "live", None)
            if message["type"] == "http.response.start" and live is not None:
                MutableHeaders(scope=message)["Model-Version"] = live.value.version
            await send(message)

        await self.app(scope, receive, send_with_version)


def create_app(artifacts_dir: Path | str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = Path(artifacts_dir or os.environ.get("ARTIFACTS_DIR", "artifacts"))
        app.state.live = Reloader(folder, Forecaster, META_FILE)
        yield

    app = FastAPI(title="Demand forecaster", version=__version__, lifespan=lifespan)
    install_problem_handlers(app, max_body_bytes=2_000_000)
    app.add_middleware(ModelVersionHeader)
    add_demo_page(app, Path(__file__).parent / "static" / "demo.html")

    def model(request: Request) -> Forecaster:
        return request.app.state.live.current()

    @app.get("/health", response_model=Health, responses=problem_responses())
    def health(request: Request) -> Health:
        f, stale = model(request), request.app.state.live.stale
        return Health(status="stale" if stale else "ok", model=f.name, model_version=f.version,
                      detail=stale)  # fmt: skip

    @app.get("/metadata", response_model=Metadata, responses=problem_responses())
    def metadata(request: Request) -> Metadata:
        f = model(request)
        return Metadata(
            version=__version__,
            model=f.name,
            posted_model=f.posted_name,
            exog={name: list(f.exog_of(name)) for name in f.models},
            freq=f.freq.freqstr,
            horizon=f.horizon,
            min_history=f.min_history,
            levels=list(f.levels),
            series=sorted(f.series),
            test_metrics=f.meta.get("test_metrics", {}),
            comparison=f.meta.get("comparison", {}),
            served_reason=f.meta.get("served_reason", ""),
            source=f.meta.get("source", ""),
            data_fingerprint=f.meta.get("data_fingerprint", "unknown"),
            model_version=f.version,
        )

    @app.post("/forecast", response_model=ForecastResponse, responses=problem_responses(404, 422))
    def forecast(request: Request, body: ForecastRequest) -> ForecastResponse:
        f = model(request)
        levels = sorted(set(body.levels))
        try:
            f.check(body.horizon, levels)
            if isinstance(body, SeriesRequest):
                if body.series_id not in f.series:
                    raise ProblemError(
                        404, f"unknown series id: {body.series_id}", field="series_id"
                    )
                out = f.for_series(body.series_id, body.horizon, levels, body.future_exog)
            else:
                out = f.for_history(
                    body.timestamps, body.values, body.horizon, levels, body.exog, body.future_exog
                )
        except BadRequest as exc:
            raise ProblemError(422, str(exc), field=exc.field) from None
        uid = body.series_id if isinstance(body, SeriesRequest) else None
        return ForecastResponse(series_id=uid, model_version=f.version, **out)

    @app.get("/history/{series_id}", response_model=History, responses=problem_responses(404))
    def history(request: Request, series_id: Annotated[str, PathParam(max_length=200)]) -> History:
        f = model(request)
        if series_id not in f.series:
            raise ProblemError(404, f"unknown series id: {series_id}", field="series_id")
        values, end, _ = f.series[series_id]
        tail = values[-min(len(values), 3 * f.horizon) :]
        return History(series_id=series_id, end=end.isoformat(), values=tail.tolist(),
                       model_version=f.version)  # fmt: skip

    return app


app = create_app()

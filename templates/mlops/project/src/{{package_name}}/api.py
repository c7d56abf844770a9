"""The churn API: champion and challenger behind a sticky A/B router, logged and measured.

    uvicorn <package>.api:app   # serves artifacts/; MODEL_SOURCE=registry: the MLflow aliases

Routes: POST /predict, POST /feedback, GET /health, /metadata, /models, /metrics.
"""

from __future__ import annotations

import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .config import Settings, load_settings
from .metrics import ApiMetrics
from .predlog import PredictionLog
from .registry import CHALLENGER, ModelNotFound, ModelRecord, load_variants
from .router import Router
from .schema import FEATURES, Customer
from .scoring import Batcher, Scorer

ROUTES = {"/predict", "/feedback", "/health", "/metadata", "/models", "/metrics"}


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prediction_id: str = Field(min_length=1, max_length=64)
    churned: bool


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


@dataclass
class Service:
    settings: Settings
    models: dict[str, ModelRecord] = field(default_factory=dict)
    router: Router | None = None
    batcher: Batcher | None = None
    log: PredictionLog | None = None
    load_error: str | None = None


class MetricsMiddleware:
    """Counts and times every request by route, variant and model version (pure ASGI: cheap)."""

    def __init__(self, app: Any, metrics: ApiMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            path = scope.get("path", "")
            route = path if path in ROUTES else "other"
            state = scope.get("state") or {}
            variant = state.get("variant", "none")
            version = state.get("model_version", "none")
            elapsed = time.perf_counter() - start
            self.metrics.requests.labels(
                route, scope["method"], str(status), variant, version
            ).inc()
            self.metrics.latency.labels(route, variant, version).observe(elapsed)


def _field_of(error: dict) -> str:
    if error.get("type") == "json_invalid":
        return "body"  # the location is a character offset, not a field
    parts = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    metrics = ApiMetrics(Path(settings.serve.drift_report))
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from threadpoolctl import threadpool_limits

        # One OpenMP thread: a request's few rows gain nothing from threads, and the tree loop's
        # per-call thread start-up would dominate (and fight the server for the CPU).
        limits = threadpool_limits(1)
        serve = settings.serve
        try:
            service.models = load_variants(
                serve.model_source, Path(serve.artifacts_dir), settings.train.model_name
            )
        except (ModelNotFound, ValueError, ImportError) as exc:
            service.load_error = str(exc)
        if service.models:
            service.router = Router(
                settings.routing.challenger_share,
                settings.routing.salt,
                has_challenger=CHALLENGER in service.models,
            )
            service.batcher = Batcher({v: Scorer(r.pipeline) for v, r in service.models.items()})
            for variant, record in service.models.items():
                metrics.model_info.labels(variant, record.version).set(1)
            metrics.challenger_share.set(service.router.challenger_share)
        if serve.log_predictions:
            service.log = PredictionLog(Path(serve.prediction_db))
        try:
            yield
        finally:
            if service.log:
                service.log.close()
            limits.restore_original_limits()

    app = FastAPI(title="Churn prediction service", version=__version__, lifespan=lifespan)
    app.state.service = service
    app.state.metrics = metrics
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_of(e),
                "message": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
        return JSONResponse(
            {"error": f"invalid input: {fields}", "field": errors[0]["field"], "errors": errors},
            status_code=422,
        )

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        body: dict[str, Any] = {"error": exc.message}
        if exc.field:
            body["field"] = exc.field
        return JSONResponse(body, status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse({"error": str(exc.detail)}, status_code=exc.status_code)

    def require_models() -> None:
        if not service.models or service.batcher is None or service.router is None:
            raise ApiError(503, f"no model loaded: {service.load_error or 'run train first'}")

    @app.get("/health")
    async def health() -> JSONResponse:
        if not service.models:
            return JSONResponse(
                {"status": "unavailable", "error": service.load_error}, status_code=503
            )
        return JSONResponse({"status": "ok", **{v: r.version for v, r in service.models.items()}})

    @app.get("/models")
    async def models() -> dict:
        require_models()
        assert service.router is not None
        share = service.router.challenger_share
        return {
            "source": settings.serve.model_source,
            "routing": {"challenger_share": share, "salt": settings.routing.salt},
            "models": {
                variant: {
                    **record.info(),
                    "traffic_share": share if variant == CHALLENGER else 1 - share,
                }
                for variant, record in service.models.items()
            },
        }

    @app.get("/metadata")
    async def metadata() -> dict:
        return {
            "service": "churn prediction",
            "version": __version__,
            "features": FEATURES,
            "entity_id": "customer_id",
            "models": {v: r.version for v, r in service.models.items()},
            "prediction_logging": service.log is not None,
        }

    @app.post("/predict")
    async def predict(customer: Customer, request: Request) -> JSONResponse:
        require_models()
        assert service.router is not None and service.batcher is not None
        variant = service.router.variant(customer.customer_id)
        record = service.models[variant]
        features = customer.model_dump(exclude={"customer_id"})
        score = await service.batcher.score(variant, features)
        churn = score >= record.threshold
        prediction_id = uuid.uuid4().hex
        request.state.variant = variant
        request.state.model_version = record.version
        metrics.scores.labels(variant, record.version).observe(score)
        metrics.predictions.labels(variant, record.version, "yes" if churn else "no").inc()
        if service.log is not None:
            service.log.add(
                prediction_id, customer.customer_id, variant, record.version, score, churn, features
            )
        return JSONResponse(
            {
                "prediction_id": prediction_id,
                "customer_id": customer.customer_id,
                "churn_probability": score,
                "churn": bool(churn),
                "threshold": record.threshold,
                "variant": variant,
                "model_version": record.version,
            }
        )

    @app.post("/feedback")
    async def feedback(body: Feedback) -> JSONResponse:
        if service.log is None:
            raise ApiError(409, "prediction logging is off, so feedback cannot be matched")
        if not service.log.has_prediction(body.prediction_id):
            raise ApiError(404, "unknown prediction_id", field="prediction_id")
        service.log.add_feedback(body.prediction_id, body.churned)
        metrics.feedback.labels("yes" if body.churned else "no").inc()
        return JSONResponse({"status": "recorded", "prediction_id": body.prediction_id})

    @app.get("/metrics")
    async def prometheus_metrics() -> Response:
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app


app = create_app()

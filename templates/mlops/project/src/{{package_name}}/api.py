"""The churn API: champion and challenger behind a sticky A/B router (or a shadow), logged,
measured and hot-reloaded when the registry changes.

    uvicorn <package>.api:app   # serves artifacts/; MODEL_SOURCE=registry: the MLflow aliases

Routes: GET / (demo), POST /predict, POST /feedback (API key), POST /admin/reload (API key),
GET /health, /metadata, /models, /metrics. Errors are RFC 9457 problem details. A canary
challenger (:mod:`.canary`) is timed and judged on every answer and outcome here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
import time
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from fastapi.security import APIKeyHeader

from . import __version__
from .api_models import (
    Feedback,
    FeedbackAnswer,
    Health,
    Metadata,
    ModelsAnswer,
    Prediction,
    ReloadAnswer,
)
from .artifacts import CHALLENGER, CHAMPION, ModelRecord
from .bodydrain import DrainRefusedBody
from .canary import Rollback
from .config import Settings, load_settings
from .demo import add_demo_page
from .metrics import ApiMetrics, MetricsMiddleware, render_metrics
from .onnx_model import Batcher
from .predlog import PredictionLog, shadow_id
from .problems import ProblemError, install_problem_handlers, problem_responses
from .readiness import workers_ready
from .schema import FEATURES, Customer
from .serving import Deployed, Deployment

API_KEY_ENV = "CHURN_API_KEY"
api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description=API_KEY_ENV)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    metrics = ApiMetrics(Path(settings.serve.drift_report))
    batcher = Batcher()
    state: dict[str, PredictionLog | None] = {"log": None}

    def on_rollback(challenger: ModelRecord, why: Rollback) -> None:
        """A canary guard tripped: count it, then persist it (all workers reload without it)."""
        from .rollout import persist_rollback

        metrics.canary_rollbacks.labels(challenger.version, why.guard).inc()
        metrics.challenger_share.set(0.0)
        current = deployment.current
        champion = current.versions().get(CHAMPION) if current else None
        loop = asyncio.get_running_loop()
        loop.run_in_executor(None, persist_rollback, settings, champion, challenger.version, why)

    deployment = Deployment(settings, on_rollback, on_step=metrics.challenger_share.set)

    def on_change(deployed: Deployed | None) -> None:
        if deployed is not None:
            metrics.set_models(deployed.versions(), deployed.router.challenger_share)
            metrics.set_mode(deployed.mode)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await asyncio.to_thread(deployment.refresh)
        on_change(deployment.current)
        if settings.serve.log_predictions:
            state["log"] = PredictionLog(settings.serve.prediction_db)
        watcher = asyncio.create_task(deployment.watch(on_change))
        try:
            yield
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if state["log"] is not None:
                state["log"].close()

    app = FastAPI(title="Churn prediction service", version=__version__, lifespan=lifespan)
    app.state.deployment = deployment
    app.state.metrics = metrics
    install_problem_handlers(app, max_body_bytes=settings.serve.max_body_bytes)
    app.add_middleware(DrainRefusedBody)  # outside the limit: the client reads its 413
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    add_demo_page(app, Path(__file__).parent / "static" / "demo.html")

    def serving() -> Deployed:
        if deployment.current is None:
            raise ProblemError(
                503, f"no model loaded: {deployment.load_error or 'run train first'}"
            )
        return deployment.current

    def require_key(key: str | None = Depends(api_key_header)) -> None:
        expected = os.environ.get(API_KEY_ENV, "")
        if not expected:
            raise ProblemError(403, f"this route is disabled: set {API_KEY_ENV} on the server")
        if not key or not hmac.compare_digest(key.encode(), expected.encode()):
            raise ProblemError(401, "missing or wrong X-API-Key header", field="X-API-Key")

    @app.get("/health", response_model=Health, responses=problem_responses(503))
    async def health() -> Health:
        if not workers_ready():
            raise ProblemError(503, "starting: not every worker serves yet")
        deployed = serving()
        return Health(
            status="ok",
            mode=deployed.mode,
            versions=deployed.versions(),
            sha256=deployed.digests(),
            loaded_at=deployed.loaded_at,
            reloads=deployment.reloads,
            canary=deployed.canary.info() if deployed.canary else None,
        )

    @app.get("/models", response_model=ModelsAnswer, responses=problem_responses(503))
    async def models() -> ModelsAnswer:
        deployed = serving()
        share = deployed.router.challenger_share
        return ModelsAnswer(
            source=settings.serve.model_source,
            mode=deployed.mode,
            challenger_share=share,
            salt=settings.routing.salt,
            models={
                variant: {
                    **record.info(),
                    "traffic_share": share if variant == CHALLENGER else 1 - share,
                }
                for variant, record in deployed.models.items()
            },
        )

    @app.get("/metadata", response_model=Metadata)
    async def metadata() -> Metadata:
        deployed = deployment.current
        champion = deployed.models.get(CHAMPION) if deployed else None
        return Metadata(
            service="churn prediction",
            version=__version__,
            features=FEATURES,
            entity_id="customer_id",
            models=deployed.versions() if deployed else {},
            sha256=deployed.digests() if deployed else {},
            kinds={v: r.kind for v, r in deployed.models.items()} if deployed else {},
            metrics=champion.metrics if champion else {},
            prediction_logging=state["log"] is not None,
        )

    @app.post("/predict", response_model=Prediction, responses=problem_responses(400, 503))
    async def predict(customer: Customer, request: Request) -> Response:
        deployed = serving()
        variant, shadow = deployed.route(customer.customer_id)
        record = deployed.models[variant]
        features = customer.model_dump(exclude={"customer_id"})
        started = time.perf_counter()
        try:
            score = await batcher.score(deployed.scorers[variant], features)
        except Exception:
            if deployed.canary is not None:
                deployed.canary.record(variant, time.perf_counter() - started, ok=False)
            raise
        if deployed.canary is not None:
            deployed.canary.record(variant, time.perf_counter() - started)
        churn = score >= record.threshold
        prediction_id = uuid.uuid4().hex
        request.state.variant, request.state.model_version = variant, record.version
        metrics.observe(variant, record.version, score, churn)
        log = state["log"]
        if log is not None:
            rows = [
                log.row(
                    prediction_id,
                    customer.customer_id,
                    variant,
                    record.version,
                    score,
                    churn,
                    features,
                )
            ]
            if shadow is not None:
                other = deployed.models[shadow]
                shadow_score = await batcher.score(deployed.scorers[shadow], features)
                rows.append(
                    log.row(
                        shadow_id(prediction_id),
                        customer.customer_id,
                        shadow,
                        other.version,
                        shadow_score,
                        shadow_score >= other.threshold,
                        features,
                        served=False,
                    )
                )
            await log.add(*rows)
        answer = Prediction(
            prediction_id=prediction_id,
            customer_id=customer.customer_id,
            churn_probability=score,
            churn=bool(churn),
            threshold=record.threshold,
            variant=variant,
            model_version=record.version,
            model_sha256=record.digest,
        )  # validated once here; returned as bytes, FastAPI does not validate it again
        return Response(answer.model_dump_json(), media_type="application/json")

    @app.post(
        "/feedback",
        response_model=FeedbackAnswer,
        responses=problem_responses(400, 401, 403, 404, 409, 503),
        dependencies=[Depends(require_key)],
    )
    async def feedback(body: Feedback) -> FeedbackAnswer:
        log = state["log"]
        if log is None:
            raise ProblemError(409, "prediction logging is off, so feedback cannot be matched")
        answered = await asyncio.to_thread(log.prediction, body.prediction_id)
        if answered is None:
            raise ProblemError(404, "unknown prediction_id", field="prediction_id")
        await asyncio.to_thread(log.add_feedback, body.prediction_id, body.churned)
        metrics.feedback.labels("yes" if body.churned else "no").inc()
        deployed = deployment.current
        if deployed is not None and deployed.canary is not None:
            variant, version, score = answered
            record = deployed.models.get(variant)
            if record is not None and record.version == version:  # this canary's answer
                deployed.canary.record_outcome(variant, score, body.churned)
        return FeedbackAnswer(status="recorded", prediction_id=body.prediction_id)

    @app.post(
        "/admin/reload",
        response_model=ReloadAnswer,
        responses=problem_responses(401, 403, 503),
        dependencies=[Depends(require_key)],
    )
    async def reload() -> ReloadAnswer:
        changed = await asyncio.to_thread(deployment.refresh)
        on_change(deployment.current)
        deployed = serving()
        return ReloadAnswer(changed=changed, versions=deployed.versions())

    @app.get("/metrics", response_class=PlainTextResponse)
    async def prometheus_metrics() -> PlainTextResponse:
        """Prometheus text format (all workers' series in multiprocess mode)."""
        body, content_type = render_metrics(metrics)
        return PlainTextResponse(body, media_type=content_type)

    return app


app = create_app()

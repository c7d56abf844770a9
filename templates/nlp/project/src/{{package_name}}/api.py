"""FastAPI app: the model the gate of `train` chose, as serving.py loads it.

Limits (environment variables): MAX_CHARS (10,000 characters a text), MAX_BODY_BYTES (1 MB a
request), ORT_THREADS (1). MODEL_DIR is the artifacts folder; a new export there is served
without a restart (RELOAD_SECONDS between checks, 1; "off": never).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import Body, FastAPI, Request, Response
from pydantic import AfterValidator, BaseModel, Field
from pydantic_core import PydanticCustomError

from . import __version__
from .artifacts import METADATA_FILE
from .demo import add_demo_page
from .problems import RequestBody, install_problem_handlers, problem_responses
from .reloader import Reloader, reload_interval
from .serving import TextModel, check_text
from .thresholds import moderate

MAX_CHARS = int(os.environ.get("MAX_CHARS", 10_000))
MAX_BODY_BYTES = int(os.environ.get("MAX_BODY_BYTES", 1_000_000))


def _valid_text(text: str) -> str:
    """Refuse texts the model cannot read, with a plain message (no pattern in it)."""
    if problem := check_text(text):
        raise PydanticCustomError("text", problem)
    return text


# Printable text (tabs and newlines allowed) with at least one visible character: check_text
# decides; the pattern only documents it in the schema, so a client knows before sending.
ALLOWED = r"[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"
TEXT_PATTERN = rf"^{ALLOWED}*[^\s\x00-\x1F\x7F]{ALLOWED}*$"
TextField = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_CHARS,
        description="UTF-8 text: printable, with a visible character",
        json_schema_extra={"pattern": TEXT_PATTERN},
    ),
    AfterValidator(_valid_text),
]


class TextIn(RequestBody):
    text: TextField


class Classification(BaseModel):
    label: str | None = Field(description="Most probable class (multi-class); null for multi-label")
    scores: dict[str, float] = Field(description="Probability of each label")
    truncated: bool = Field(description="The text was cut to the model's first tokens")
    tokens: int = Field(
        description="Tokens the model read (transformer: with [CLS]/[SEP]; baseline: words)"
    )
    model_version: str


class Fired(BaseModel):
    label: str
    score: float
    level: Literal["review", "block"]


class Moderation(Classification):
    action: Literal["allow", "review", "block"]
    fired: list[Fired] = Field(description="Labels over their review or block threshold")


class Health(BaseModel):
    status: Literal["ok"]
    model_version: str
    stale: str | None = Field(
        description="Why a newer model in the artifacts folder is not served (null: none)"
    )


class Metadata(BaseModel):
    labels: list[str]
    multilabel: bool
    benign: list[str]
    thresholds: dict[str, Any]
    test_metrics: dict[str, Any]
    graph: str
    served: Literal["transformer", "baseline"] = Field(description="The model that answers")
    gate: str = Field(description="Why it is served (the baseline gate of `train`)")
    max_tokens: int
    limits: dict[str, int]
    model_version: str
    trained_at: str


ERRORS = problem_responses(413, 422)


async def _classify(model: TextModel, text: str) -> Classification:
    """One model run a text, in asyncio's threads: its scores never depend on the other texts."""
    p, cut, n = await asyncio.get_running_loop().run_in_executor(None, model.score, text)
    scores = {label: float(s) for label, s in zip(model.labels, p, strict=True)}
    top = None if model.multilabel else model.labels[int(p.argmax())]
    return Classification(
        label=top, scores=scores, truncated=cut, tokens=n, model_version=model.version
    )


def _json(answer: BaseModel) -> Response:
    """The answer serialised once by pydantic (in Rust): returning the model itself would have
    FastAPI dump, re-validate and re-encode it against the route's response_model."""
    return Response(answer.model_dump_json(), media_type="application/json")


def create_app(
    model_dir: Path | str | None = None,
    graph: str | None = None,
    reload_seconds: float | Literal["env"] | None = "env",
) -> FastAPI:
    """The API; the model in ``model_dir`` (default: $MODEL_DIR or artifacts/) loads at start-up
    and again after each new model (checked every ``reload_seconds``, default $RELOAD_SECONDS;
    None: never); ``graph`` (or $MODEL_GRAPH) serves another saved model than the gate's."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = Path(model_dir or os.environ.get("MODEL_DIR", "artifacts"))
        chosen = graph or os.environ.get("MODEL_GRAPH")
        every = reload_interval() if reload_seconds == "env" else reload_seconds
        app.state.live = Reloader(
            folder, lambda path: TextModel(path, graph=chosen), METADATA_FILE, every
        )
        yield

    app = FastAPI(
        title="Content moderator",
        version=__version__,
        lifespan=lifespan,
        description="Scores texts per label and moderates them (allow / review / block).",
    )
    install_problem_handlers(app, max_body_bytes=MAX_BODY_BYTES)
    add_demo_page(app, Path(__file__).parent / "static" / "demo.html")

    def model(request: Request) -> TextModel:
        return request.app.state.live.current()

    @app.get("/health", response_model=Health)
    def health(request: Request) -> Health:
        live = request.app.state.live
        return Health(status="ok", model_version=model(request).version, stale=live.stale)

    @app.get("/metadata", response_model=Metadata)
    def metadata(request: Request) -> Metadata:
        """Labels, thresholds and their goals, the served graph's test metrics, limits."""
        m = model(request)
        return Metadata(
            labels=m.labels,
            multilabel=m.multilabel,
            benign=m.metadata["benign"],
            thresholds=m.thresholds,
            test_metrics=m.test_metrics(),
            graph=m.graph,
            served=m.arm,
            gate=m.metadata["gate"]["reason"],
            max_tokens=m.max_tokens,
            model_version=m.version,
            trained_at=m.metadata["trained_at"],
            limits={"max_chars": MAX_CHARS, "max_body_bytes": MAX_BODY_BYTES},
        )

    @app.post("/classify", response_model=Classification, responses=ERRORS)
    async def classify(request: Request, body: Annotated[TextIn, Body()]) -> Response:
        """Scores per label for one text (texts over the token limit are truncated: `truncated`)."""
        return _json(await _classify(model(request), body.text))

    @app.post("/moderate", response_model=Moderation, responses=ERRORS)
    async def moderate_text(request: Request, body: Annotated[TextIn, Body()]) -> Response:
        """allow / review / block with the thresholds chosen on validation, and the labels fired."""
        m = model(request)
        result = await _classify(m, body.text)
        action, fired = moderate(result.scores, m.thresholds)
        return _json(Moderation(**dict(result), action=action, fired=fired))

    return app


app = create_app()

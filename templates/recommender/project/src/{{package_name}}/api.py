"""FastAPI app: recommendations for known and anonymous users, a user's history, similar items,
item search, health, metadata.

Artifacts are loaded in the lifespan and reloaded when `train` publishes new ones (lifecycle.py);
every answer carries the ``model_version`` that made it. ``ARTIFACTS_DIR`` serves another folder and
``RECOMMENDER_ANN=1`` answers from an HNSW index (see ann.py). Every error is an RFC 9457
problem (``application/problem+json``), documented in the OpenAPI schema for each route.
Ids may contain ``/`` (the routes take the rest of the path).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import FastAPI, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, BeforeValidator, Field

from . import __version__
from .demo import add_demo_page
from .problems import ProblemError, RequestBody, install_problem_handlers, problem_responses
from .reloader import Reloader
from .serving import MAX_K, Recommender, UnknownItems, UnknownUser

K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items to return")]
Id = Annotated[str, PathParam(max_length=200, description="An id, exactly as trained")]
SearchText = Annotated[str, Query(max_length=200, description="Text in the item's id or title")]
ItemId = int | str
MAX_LIKED = 200
# The largest body the schema allows (200 ids of 200 characters, JSON-escaped) fits the limit, so
# 413 only ever answers bodies that no valid request could produce.
MAX_BODY_BYTES = 1_000_000


def _integral(value: object) -> object:
    """JSON Schema's integer includes 5.0: take it as 5 (booleans stay refused)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_integral)]


class LikedItems(RequestBody):
    """An anonymous user, described by the items they liked (strict types, no unknown fields)."""

    items: list[JsonInt | Annotated[str, Field(max_length=200)]] = Field(
        min_length=1, max_length=MAX_LIKED
    )
    k: JsonInt = Field(default=10, ge=1, le=MAX_K)


class Item(BaseModel):
    item_id: ItemId
    title: str | None = None


class ScoredItem(Item):
    score: float = Field(description="The model's score; higher ranks first")


class Health(BaseModel):
    status: str = Field(description="ok, or stale when new artifacts could not be loaded")
    model: str
    model_version: str = Field(description="Content hash of the served artifacts")
    detail: str | None = None


class Metadata(BaseModel):
    version: str
    model_version: str
    served_model: str
    selection: str
    models: list[str]
    dataset: str
    split: str
    trained_at: str
    users: int
    items: int
    has_titles: bool
    max_k: int
    k: int
    test_metrics: dict[str, object] | None
    example_users: list[str]
    example_items: list[ItemId]


class UserRecommendations(BaseModel):
    model_version: str
    user_id: str
    known_user: bool
    fallback: bool
    model: str
    items: list[ScoredItem]


class AnonymousRecommendations(BaseModel):
    model_version: str
    model: str
    liked: list[ItemId]
    unknown: list[str] = Field(description="Liked ids the model does not know (left out)")
    items: list[ScoredItem]


class HistoryItem(Item):
    at: str | None = Field(description="The latest event's UTC time; null without a time column")


class UserHistory(BaseModel):
    model_version: str
    user_id: str
    total: int = Field(description="Distinct items the user interacted with (the latest are kept)")
    items: list[HistoryItem] = Field(description="Newest first")


class ItemSearch(BaseModel):
    model_version: str
    query: str
    items: list[Item] = Field(description="The exact id first, then the more popular first")


class SimilarItems(BaseModel):
    model_version: str
    item: Item
    model: str
    items: list[ScoredItem]


def _json(payload: object) -> Response:
    # Pre-built dicts serialised by orjson: the response models above document them.
    return Response(orjson.dumps(payload), media_type="application/json")


def create_app(artifacts_dir: Path | str | None = None, ann: bool | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = Path(artifacts_dir or os.environ.get("ARTIFACTS_DIR", "artifacts"))
        use_ann = ann if ann is not None else os.environ.get("RECOMMENDER_ANN") == "1"
        app.state.live = Reloader(folder, lambda path: Recommender(path, ann=use_ann), "meta.json")
        yield

    app = FastAPI(title="Recommender", version=__version__, lifespan=lifespan)
    install_problem_handlers(app, max_body_bytes=MAX_BODY_BYTES)
    add_demo_page(app, Path(__file__).parent / "static" / "demo.html")

    def rec(request: Request) -> Recommender:
        return request.app.state.live.current()

    @app.get("/health", response_model=Health, responses=problem_responses(500))
    async def health(request: Request) -> Response:
        r, stale = rec(request), request.app.state.live.stale
        return _json(
            {
                "status": "stale" if stale else "ok",
                "model": r.model_name,
                "model_version": r.version,
                "detail": stale,
            }
        )

    @app.get("/metadata", response_model=Metadata, responses=problem_responses(500))
    async def metadata(request: Request) -> Response:
        r = rec(request)
        meta = r.meta
        return _json(
            {
                "version": __version__,
                "model_version": r.version,
                "served_model": r.model_name,
                "selection": meta["summary"].get("selection", ""),
                "models": meta["models"],
                "dataset": meta["dataset"],
                "split": meta["split"],
                "trained_at": meta["created"],
                "users": len(r.user_ids),
                "items": len(r.item_ids),
                "has_titles": meta["has_titles"],
                "max_k": MAX_K,
                "k": meta["k"],
                "test_metrics": meta["metrics"].get(r.model_name),
                "example_users": r.user_ids[:20],
                "example_items": [r.render_one(i)["item_id"] for i in r.popular_ids(20)],
            }
        )

    @app.get(
        "/recommend/{user_id:path}",
        response_model=UserRecommendations,
        # 404: an id no route can match (a line break in it); any other id is answered.
        responses=problem_responses(404, 422, 500),
    )
    async def recommend_user(request: Request, user_id: Id, k: K = 10) -> Response:
        r = rec(request)
        result = r.for_user(user_id, k)
        fallback = result.strategy == "popularity-fallback"
        return _json(
            {
                "model_version": r.version,
                "user_id": user_id,
                "known_user": not fallback,
                "fallback": fallback,
                "model": result.strategy,
                "items": r.render(result),
            }
        )

    @app.post(
        "/recommend",
        response_model=AnonymousRecommendations,
        responses=problem_responses(400, 413, 422, 500),
    )
    async def recommend_anonymous(request: Request, body: LikedItems) -> Response:
        r = rec(request)
        result = r.for_items([str(i) for i in body.items], body.k)
        return _json(
            {
                "model_version": r.version,
                "model": result.strategy,
                "liked": body.items,
                "unknown": result.unknown,
                "items": r.render(result),
            }
        )

    @app.get(
        "/similar/{item_id:path}",
        response_model=SimilarItems,
        responses=problem_responses(404, 422, 500),
    )
    async def similar(request: Request, item_id: Id, k: K = 10) -> Response:
        r = rec(request)
        try:
            result = r.similar(item_id, k)
        except UnknownItems:
            raise ProblemError(404, f"unknown item id: {item_id}", field="item_id") from None
        return _json(
            {
                "model_version": r.version,
                "item": r.render_one(item_id),
                "model": result.strategy,
                "items": r.render(result),
            }
        )

    @app.get(
        "/users/{user_id:path}/history",
        response_model=UserHistory,
        responses=problem_responses(404, 422, 500),
    )
    async def history(request: Request, user_id: Id, k: K = 20) -> Response:
        r = rec(request)
        try:
            items = r.user_history(user_id, k)
        except UnknownUser:
            raise ProblemError(404, f"unknown user id: {user_id}", field="user_id") from None
        return _json(
            {
                "model_version": r.version,
                "user_id": user_id,
                "total": r.history_size(user_id),
                "items": items,
            }
        )

    @app.get("/items", response_model=ItemSearch, responses=problem_responses(422, 500))
    async def search_items(request: Request, q: SearchText, k: K = 20) -> Response:
        r = rec(request)
        return _json({"model_version": r.version, "query": q, "items": r.search(q, k)})

    return app


app = create_app()

"""FastAPI app: recommendations for known and anonymous users, similar items, health, metadata.

Artifacts are loaded once, in the lifespan; set ``ARTIFACTS_DIR`` to serve another folder.
Every error a client can cause is a 4xx JSON body ``{"detail": ...}``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated

import orjson
from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from . import __version__
from .serving import MAX_K, Recommender, UnknownItems

K = Annotated[int, Query(ge=1, le=MAX_K, description="How many items to return")]


class LikedItems(BaseModel):
    """An anonymous user, described by the items they liked."""

    items: list[int | str] = Field(min_length=1, max_length=1000)
    k: int = Field(default=10, ge=1, le=MAX_K)


def _json(payload: object, status_code: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status_code, media_type="application/json")


def create_app(artifacts_dir: Path | str | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = Path(artifacts_dir or os.environ.get("ARTIFACTS_DIR", "artifacts"))
        app.state.rec = Recommender(folder)
        yield

    app = FastAPI(
        title="Recommender",
        version=__version__,
        lifespan=lifespan,
    )

    def rec(request: Request) -> Recommender:
        return request.app.state.rec

    @app.get("/health")
    async def health(request: Request) -> Response:
        return _json({"status": "ok", "model": rec(request).model_name})

    @app.get("/metadata")
    async def metadata(request: Request) -> Response:
        r = rec(request)
        meta = r.meta
        return _json(
            {
                "version": __version__,
                "served_model": r.model_name,
                "models": meta["models"],
                "dataset": meta["dataset"],
                "split": meta["split"],
                "trained_at": meta["created"],
                "users": len(r.user_ids),
                "items": len(r.item_ids),
                "has_titles": meta["has_titles"],
                "max_k": MAX_K,
                "test_metrics": meta["metrics"].get(r.model_name),
                "k": meta["k"],
            }
        )

    @app.get("/recommend/{user_id}")
    async def recommend_user(
        request: Request, user_id: Annotated[str, PathParam(max_length=200)], k: K = 10
    ) -> Response:
        r = rec(request)
        result = r.for_user(user_id, k)
        return _json(
            {
                "user_id": user_id,
                "known_user": result.strategy != "popularity-fallback",
                "fallback": result.strategy == "popularity-fallback",
                "model": result.strategy,
                "items": r.render(result),
            }
        )

    @app.post("/recommend")
    async def recommend_anonymous(request: Request, body: LikedItems) -> Response:
        r = rec(request)
        try:
            result = r.for_items([str(i) for i in body.items], body.k)
        except UnknownItems as exc:
            raise HTTPException(404, f"unknown item id(s): {', '.join(exc.ids[:20])}") from None
        return _json({"model": result.strategy, "liked": body.items, "items": r.render(result)})

    @app.get("/similar/{item_id}")
    async def similar(
        request: Request, item_id: Annotated[str, PathParam(max_length=200)], k: K = 10
    ) -> Response:
        r = rec(request)
        try:
            result = r.similar(item_id, k)
        except UnknownItems:
            raise HTTPException(404, f"unknown item id: {item_id}") from None
        return _json(
            {
                "item": r.render_one(item_id),
                "model": result.strategy,
                "items": r.render(result),
            }
        )

    return app


app = create_app()

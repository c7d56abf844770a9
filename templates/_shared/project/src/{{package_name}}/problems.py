"""RFC 9457 problem details: one JSON error shape for every API error, documented truthfully.

``install_problem_handlers(app)`` makes every error (HTTPException, validation, ProblemError,
unexpected exceptions) answer ``application/problem+json``, limits request bodies, and rewrites
the OpenAPI schema so each operation documents its error statuses with the ``Problem`` schema.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
LOCATIONS = ("body", "query", "path", "header", "cookie")
DRAIN_BYTES = 64 * 1024 * 1024  # a refused body is read and dropped up to this, then cut off
log = logging.getLogger(__name__)


class Problem(BaseModel):
    """An error answer (RFC 9457), plus the failing field or parameter when there is one."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    field: str | None = None


class RequestBody(BaseModel):
    """Base of JSON request bodies: strict types, no unknown fields (what the schema promises)."""

    model_config = ConfigDict(strict=True, extra="forbid")


class ProblemError(Exception):
    """Raise from a route to answer a Problem with ``status`` and a one-line ``detail``."""

    def __init__(
        self, status: int, detail: str, *, field: str | None = None, title: str | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.detail, self.field = status, detail, field
        self.title = title or _title(status)


class BodyTooLarge(StarletteHTTPException):
    """Raised while a request body is read once it grows past the limit (answered as 413)."""


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    status: int,
    detail: str,
    *,
    field: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A ``application/problem+json`` response for ``status``."""
    body = Problem(title=title or _title(status), status=status, detail=detail, field=field)
    return JSONResponse(body.model_dump(), status, headers=headers, media_type=MEDIA_TYPE)


def _problem_doc(status: int) -> dict[str, Any]:
    return {"description": _title(status), "content": {MEDIA_TYPE: {"schema": dict(PROBLEM_REF)}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's ``responses=``: each status documented as a Problem (application/problem+json)."""
    return {status: _problem_doc(status) for status in statuses}


def _field(loc: tuple | list) -> str | None:
    parts = list(loc)
    where = parts.pop(0) if parts and parts[0] in LOCATIONS else None
    named = [str(p) for p in parts if not isinstance(p, int)]
    return ".".join(str(p) for p in parts) if named else where


def _validation_problem(exc: RequestValidationError) -> JSONResponse:
    errors = list(exc.errors())
    if not errors:
        return problem_response(422, "the request is not valid")
    first = errors[0]
    field = _field(first.get("loc", ()))
    message = str(first.get("msg", "invalid value"))
    detail = f"{field}: {message}" if field else message
    if len(errors) > 1:
        detail += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return problem_response(422, detail, field=field)


async def drain(receive: Receive, limit: int = DRAIN_BYTES) -> int:
    """Read and drop the rest of a request body (at most ``limit`` bytes); the bytes read.

    A client that writes its whole body before it reads (http.client, requests, most load tools)
    sees "connection reset by peer" instead of the 413 when the server closes a socket with unread
    data; once the body is read, it gets the answer. Past ``limit`` the connection is cut off, so a
    client cannot keep the server reading for ever.
    """
    read = 0
    while read <= limit:
        message = await receive()
        read += len(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            break
    return read


class BodyLimit:
    """Pure-ASGI body size limit: 413 from the Content-Length header or while a body streams in.

    The body is drained before the 413 goes out (:func:`drain`), except for a client that sent
    ``Expect: 100-continue`` (uvicorn asks it for the body only when the app reads it) and a
    declared length past the drain cap (the connection is closed unread).
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max = app, max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", ()))
        waits = headers.get(b"expect", b"").lower() == b"100-continue"
        length = headers.get(b"content-length")
        if length is not None and length.strip().isdigit() and int(length) > self.max:
            # A body past the drain cap would be cut off anyway: do not read any of it.
            await self._refuse(scope, receive, send, drained=waits or int(length) > DRAIN_BYTES)
            return
        seen, ended, started = 0, False, False

        async def limited_receive() -> Message:
            nonlocal seen, ended
            message = await receive()
            ended = message["type"] != "http.request" or not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if seen > self.max:
                raise BodyTooLarge(413, self._detail)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracked_send)
        except BodyTooLarge:
            if started:
                raise
            await self._refuse(scope, receive, send, drained=ended)

    @property
    def _detail(self) -> str:
        return f"the request body is larger than {self.max} bytes"

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, drained: bool) -> None:
        if not drained:
            await drain(receive)
        response = problem_response(413, self._detail, headers={"Connection": "close"})
        await response(scope, receive, send)


def _rewrite_openapi(schema: dict[str, Any]) -> dict[str, Any]:
    """Document 422 and 500 (and 400 and 413 when it has a body) as Problem on every operation."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict) or method == "parameters":
                continue
            responses = operation.setdefault("responses", {})
            statuses = ["422", "500"]
            if operation.get("requestBody"):  # 400: a body FastAPI cannot parse at all
                statuses += ["400", "413"]
            for status in statuses:
                responses[status] = _problem_doc(int(status))
            for response in responses.values():
                content = response.get("content", {})
                if MEDIA_TYPE in content:
                    content.pop("application/json", None)
    text = repr(schema.get("paths", {}))
    for name in ("HTTPValidationError", "ValidationError"):
        if f"#/components/schemas/{name}'" not in text:
            components.pop(name, None)
    return schema


def _allowed(app: FastAPI, request: Request) -> set[str]:
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return methods


def install_problem_handlers(app: FastAPI, *, max_body_bytes: int = 1_000_000) -> None:
    """Answer every error of ``app`` as a Problem, limit bodies and document it in OpenAPI."""

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method of the path, not just the first route's
            headers["Allow"] = ", ".join(sorted(_allowed(app, request)))
        return problem_response(exc.status_code, detail, headers=headers or None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _validation_problem(exc)

    @app.exception_handler(ProblemError)
    async def problem(request: Request, exc: ProblemError) -> Response:
        return problem_response(exc.status, exc.detail, field=exc.field, title=exc.title)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
        return problem_response(500, "internal server error; the server log has the details")

    app.add_middleware(BodyLimit, max_body_bytes=max_body_bytes)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                summary=app.summary,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = _rewrite_openapi(schema)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

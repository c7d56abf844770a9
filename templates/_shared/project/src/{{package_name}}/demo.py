"""The demo page: ``GET /`` serves the template's HTML page, plus the shared CSS and JS.

Offline and without a build step: plain HTML, ``/static/demo.css`` and ``/static/demo.js``
(``callApi(path, init)`` and ``showMetrics(el, metrics)``). Conventions the e2e harness relies
on: the prediction appears in ``[data-testid=prediction]``, the test metrics in
``[data-testid=metrics]``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"
HEADERS = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
ASSETS = {"demo.css": "text/css; charset=utf-8", "demo.js": "text/javascript; charset=utf-8"}


def _asset(path: Path, media_type: str) -> Response:
    return Response(path.read_bytes(), media_type=media_type, headers=HEADERS)


def add_demo_page(app: FastAPI, page: Path) -> None:
    """Serve ``page`` at ``GET /`` and the shared assets under ``/static/`` (not in OpenAPI)."""
    page = Path(page)
    if not page.is_file():
        raise FileNotFoundError(f"demo page {page} does not exist")

    @app.get("/", include_in_schema=False)
    def demo_page() -> Response:
        return _asset(page, "text/html; charset=utf-8")

    for name, media_type in ASSETS.items():
        path = STATIC / name

        def asset(path: Path = path, media_type: str = media_type) -> Response:
            return _asset(path, media_type)

        app.add_api_route(f"/static/{name}", asset, methods=["GET"], include_in_schema=False)

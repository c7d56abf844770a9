"""FastAPI app: the exported ONNX model served with ONNX Runtime (no torch needed).

Limits (environment variables): MAX_FILE_BYTES (default 5 MiB a file), MAX_BATCH_FILES (16),
MAX_PIXELS (40 million), ORT_THREADS (1 thread a request). MODEL_DIR is the artifacts folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from . import __version__
from .preprocess import (
    MAX_PIXELS,
    ImageError,
    TooManyPixels,
    UnsupportedFormat,
    open_image,
    softmax,
    to_array,
)

MAX_FILE_BYTES = int(os.environ.get("MAX_FILE_BYTES", 5 * 1024 * 1024))
MAX_BATCH_FILES = int(os.environ.get("MAX_BATCH_FILES", 16))
MAX_IMAGE_PIXELS = int(os.environ.get("MAX_PIXELS", MAX_PIXELS))
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around the files of one request
CONTENT_TYPES = {"image/png", "image/jpeg", "image/jpg", "image/webp"}
CHUNK = 64 * 1024


class Prediction(BaseModel):
    label: str
    probability: float = Field(ge=0, le=1)


class PredictResponse(BaseModel):
    predictions: list[Prediction] = Field(description="Top-k classes, most probable first")
    model_version: str


class BatchItem(BaseModel):
    filename: str | None
    predictions: list[Prediction]


class BatchResponse(BaseModel):
    results: list[BatchItem]
    model_version: str


class ErrorResponse(BaseModel):
    detail: str = Field(description="What was wrong with the request")


class Health(BaseModel):
    status: str
    model_version: str


def _errors(**codes: str) -> dict[int | str, dict[str, Any]]:
    return {
        int(code[1:]): {"model": ErrorResponse, "description": text} for code, text in codes.items()
    }


UPLOAD_ERRORS = _errors(
    e400="Empty file",
    e413=f"File over {MAX_FILE_BYTES} bytes (checked while reading), image over "
    f"{MAX_IMAGE_PIXELS} pixels (decompression bomb), or more than {MAX_BATCH_FILES} files",
    e415="Content type or image format other than PNG, JPEG or WebP",
    e422="Corrupt or unreadable image, or an invalid parameter",
)


class Classifier:
    """The ONNX model, its classes and its input format, loaded once."""

    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort

        meta_path, model_path = model_dir / "metadata.json", model_dir / "model.onnx"
        if not model_path.is_file() or not meta_path.is_file():
            raise RuntimeError(f"no ONNX model in {model_dir}: run `train`, then `export`")
        self.metadata = json.loads(meta_path.read_text("utf-8"))
        self.classes: list[str] = self.metadata["classes"]
        self.size: int = self.metadata["image_size"]
        self.channels: int = self.metadata["channels"]
        self.version: str = self.metadata.get("model_version", "unknown")
        options = ort.SessionOptions()
        options.intra_op_num_threads = int(os.environ.get("ORT_THREADS", 1))
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
        self.input = self.session.get_inputs()[0].name
        # Fail at start-up, not on the first request, if the model cannot run (and warm it up).
        self.probabilities(np.zeros((1, self.channels, self.size, self.size), np.uint8))

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        x = images.astype(np.float32) / 255
        return softmax(self.session.run(None, {self.input: x})[0])

    def top_k(self, probs: np.ndarray, k: int) -> list[Prediction]:
        order = np.argsort(-probs)[: min(k, len(self.classes))]
        return [Prediction(label=self.classes[i], probability=float(probs[i])) for i in order]


def served_test_metrics(metadata: dict[str, Any]) -> dict[str, Any] | None:
    """`evaluate`'s test figures for the graph being served (single pass, or with flip TTA)."""
    tests = metadata.get("test_metrics")
    if not tests:
        return None
    flip_tta = bool(metadata.get("onnx", {}).get("flip_tta"))
    figures = tests.get("flip_tta") if flip_tta else tests
    if figures is None:  # metadata written before flip-TTA figures were recorded
        return None
    return {
        "accuracy": figures["accuracy"],
        "macro_f1": figures["macro_f1"],
        "n_test": tests["n_test"],
        "flip_tta": flip_tta,
    }


def read_upload(upload: UploadFile) -> bytes:
    """The bytes of an upload, refusing it as soon as it passes MAX_FILE_BYTES."""
    name = upload.filename or "file"
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type not in CONTENT_TYPES:
        raise HTTPException(
            415, f"{name}: content type {content_type or 'missing'} is not one of "
            f"{', '.join(sorted(CONTENT_TYPES))}",
        )  # fmt: skip
    chunks, size = [], 0
    while chunk := upload.file.read(CHUNK):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise HTTPException(413, f"{name} is larger than {MAX_FILE_BYTES} bytes")
        chunks.append(chunk)
    if size == 0:
        raise HTTPException(400, f"{name} is empty")
    return b"".join(chunks)


def decode_bytes(data: bytes, name: str, classifier: Classifier) -> np.ndarray:
    try:
        image = open_image(data, MAX_IMAGE_PIXELS, classifier.size)
        return to_array(image, classifier.size, classifier.channels)
    except UnsupportedFormat as exc:
        raise HTTPException(415, f"{name}: {exc}") from exc
    except TooManyPixels as exc:
        raise HTTPException(413, f"{name}: {exc}") from exc
    except ImageError as exc:
        raise HTTPException(422, f"{name}: {exc}") from exc


def body_limit(path: str) -> int:
    files = MAX_BATCH_FILES if path.rstrip("/").endswith("/batch") else 1
    return files * MAX_FILE_BYTES + MULTIPART_OVERHEAD


class BodyTooLarge(Exception):
    """Raised into the app when a request body passes its limit."""


class BodySizeLimit:
    """ASGI middleware: refuses a request body as soon as it passes the limit for its route.

    Checks Content-Length up front and counts the bytes as they arrive (chunked uploads), so an
    oversized upload is never read to its end.
    """

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["path"])
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await self._reject(send, limit)
            return
        received, exceeded = 0, False

        async def limited_receive() -> dict:
            nonlocal received, exceeded
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                exceeded = True
                raise BodyTooLarge(f"request body is larger than {limit} bytes")
            return message

        async def guarded_send(message: dict) -> None:
            if not exceeded:  # once over the limit, the app's own error reply is replaced
                await send(message)

        with suppress(BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded:
            await self._reject(send, limit)

    @staticmethod
    async def _reject(send: Callable, limit: int) -> None:
        body = json.dumps({"detail": f"request body is larger than {limit} bytes"}).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def create_app(model_dir: Path | str | None = None) -> FastAPI:
    """The API; the model in ``model_dir`` (default: $MODEL_DIR or artifacts/) loads at start-up."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        folder = Path(model_dir or os.environ.get("MODEL_DIR", "artifacts"))
        app.state.classifier = Classifier(folder)
        yield

    app = FastAPI(
        title="Image classifier",
        version=__version__,
        description="Upload PNG, JPEG or WebP images; get the most probable classes.",
        lifespan=lifespan,
    )
    app.add_middleware(BodySizeLimit)

    @app.exception_handler(ImageError)
    async def image_error(request: Request, exc: ImageError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    def classifier(request: Request) -> Classifier:
        return request.app.state.classifier

    @app.get("/health", response_model=Health)
    def health(request: Request) -> Health:
        return Health(status="ok", model_version=classifier(request).version)

    @app.get("/metadata")
    def metadata(request: Request) -> dict[str, Any]:
        """Classes, model version, input format, the served graph's test metrics, the limits."""
        model = classifier(request)
        meta = model.metadata
        return {
            "classes": model.classes,
            "model_version": model.version,
            "input": {"channels": model.channels, "size": model.size},
            "flip_tta": meta.get("onnx", {}).get("flip_tta"),
            "test_metrics": served_test_metrics(meta),
            "val_accuracy": meta.get("val_accuracy"),
            "trained_at": meta.get("trained_at"),
            "data": meta.get("data"),
            "limits": {
                "max_file_bytes": MAX_FILE_BYTES,
                "max_batch_files": MAX_BATCH_FILES,
                "max_pixels": MAX_IMAGE_PIXELS,
                "content_types": sorted(CONTENT_TYPES),
            },
        }

    @app.post("/predict", response_model=PredictResponse, responses=UPLOAD_ERRORS)
    async def predict(
        request: Request,
        file: Annotated[UploadFile, File(description="A PNG, JPEG or WebP image")],
        top_k: Annotated[int, Query(ge=1, le=1000, description="How many classes")] = 5,
    ) -> PredictResponse:
        """Classify one image (multipart upload, field `file`).

        Decoding and inference run in one thread-pool call: Pillow and ONNX Runtime release the
        GIL, so the event loop keeps parsing other requests on another core meanwhile (about
        twice the throughput of running them on the loop, measured with benchmarks/serve.py).
        """
        model = classifier(request)
        data = read_upload(file)  # the upload is already in memory (or a spooled file)

        def work() -> np.ndarray:  # decoding and inference release the GIL: one thread hop
            return model.probabilities(decode_bytes(data, file.filename or "file", model)[None])

        probs = (await run_in_threadpool(work))[0]
        return PredictResponse(predictions=model.top_k(probs, top_k), model_version=model.version)

    @app.post("/predict/batch", response_model=BatchResponse, responses=UPLOAD_ERRORS)
    async def predict_batch(
        request: Request,
        files: Annotated[
            list[UploadFile], File(description=f"1 to {MAX_BATCH_FILES} images (field `files`)")
        ],
        top_k: Annotated[int, Query(ge=1, le=1000)] = 5,
    ) -> BatchResponse:
        """Classify up to MAX_BATCH_FILES images in one request."""
        if len(files) > MAX_BATCH_FILES:
            raise HTTPException(413, f"{len(files)} files sent; at most {MAX_BATCH_FILES}")
        model = classifier(request)
        uploads = [(read_upload(f), f.filename or "file") for f in files]

        def work() -> np.ndarray:
            return model.probabilities(np.stack([decode_bytes(*u, model) for u in uploads]))

        probs = await run_in_threadpool(work)
        results = [
            BatchItem(filename=f.filename, predictions=model.top_k(p, top_k))
            for f, p in zip(files, probs, strict=True)
        ]
        return BatchResponse(results=results, model_version=model.version)

    return app


app = create_app()

"""FastAPI app: the exported ONNX model served with ONNX Runtime (no torch needed).

Limits (environment variables): MAX_FILE_BYTES (default 5 MiB a file), MAX_BATCH_FILES (16),
MAX_PIXELS (40 million; lossless images are further bounded by the model's input size, see
preprocess.decode_limit), ORT_THREADS (1 thread a request). MODEL_DIR is the artifacts folder;
RELOAD_SECONDS (1) how often a running server looks for a new export there (0: never; see
lifecycle.py). Every answer, /health and /metadata carry the served ``model_version``.
Every error is an RFC 9457 problem (application/problem+json). ``GET /`` is a demo page.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
from fastapi import FastAPI, File, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool

from . import __version__
from .demo import add_demo_page
from .lifecycle import METADATA_FILE, ONNX_FILE, model_problem
from .preprocess import (
    MAX_PIXELS,
    ImageError,
    TooManyPixels,
    UnsupportedFormat,
    decode_limit,
    fit_of,
    open_image,
    softmax,
    to_array,
)
from .problems import ProblemError, install_problem_handlers, problem_responses
from .reloader import Reloader, reload_interval
from .schemas import (
    BatchItem,
    BatchResponse,
    Health,
    InputFormat,
    Limits,
    Metadata,
    Prediction,
    PredictResponse,
)

MAX_FILE_BYTES = int(os.environ.get("MAX_FILE_BYTES", 5 * 1024 * 1024))
MAX_BATCH_FILES = int(os.environ.get("MAX_BATCH_FILES", 16))
MAX_IMAGE_PIXELS = int(os.environ.get("MAX_PIXELS", MAX_PIXELS))
MULTIPART_OVERHEAD = 64 * 1024  # headers and boundaries around the files of one request
FORMATS = ["JPEG", "MPO", "PNG", "WEBP"]  # sniffed from the bytes; the content type is ignored
CHUNK = 64 * 1024
DEMO_PAGE = Path(__file__).parent / "static" / "demo.html"
log = logging.getLogger(__name__)


class Classifier:
    """The exported ONNX model, its classes and its input format (only files that hash to the
    exported version: lifecycle.model_problem)."""

    def __init__(self, model_dir: Path) -> None:
        import onnxruntime as ort

        meta_path, model_path = model_dir / METADATA_FILE, model_dir / ONNX_FILE
        if problem := model_problem(model_dir):
            raise FileNotFoundError(problem)
        self.metadata = json.loads(meta_path.read_text("utf-8"))
        self.classes: list[str] = self.metadata["classes"]
        self.size: int = self.metadata["image_size"]
        self.channels: int = self.metadata["channels"]
        self.version: str = self.metadata.get("model_version", "unknown")
        self.fit: str = fit_of(self.metadata)  # as `train` and `evaluate` prepared the images
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
    keys = ("accuracy", "accuracy_95", "macro_f1", "macro_f1_95")
    return {k: figures.get(k) for k in keys} | {"n_test": tests["n_test"], "flip_tta": flip_tta}


def served_val_accuracy(metadata: dict[str, Any]) -> float | None:
    """The served graph's validation accuracy: the model's, or the baseline's (gate.py)."""
    if metadata.get("served") == "baseline":
        return metadata["gate"]["baseline_accuracy"]
    return metadata.get("val_accuracy")


def read_upload(upload: UploadFile) -> bytes:
    """The bytes of an upload, refusing it as soon as it passes MAX_FILE_BYTES."""
    name = upload.filename or "file"
    chunks, size = [], 0
    while chunk := upload.file.read(CHUNK):
        size += len(chunk)
        if size > MAX_FILE_BYTES:
            raise ProblemError(413, f"{name} is larger than {MAX_FILE_BYTES} bytes", field="file")
        chunks.append(chunk)
    if size == 0:
        raise ProblemError(400, f"{name} is empty", field="file")
    return b"".join(chunks)


def decode_bytes(data: bytes, name: str, classifier: Classifier) -> np.ndarray:
    try:
        image = open_image(data, MAX_IMAGE_PIXELS, classifier.size)
        return to_array(image, classifier.size, classifier.channels, classifier.fit)
    except UnsupportedFormat as exc:
        raise ProblemError(415, f"{name}: {exc}", field="file") from exc
    except TooManyPixels as exc:
        raise ProblemError(413, f"{name}: {exc}", field="file") from exc
    except ImageError as exc:
        raise ProblemError(422, f"{name}: {exc}", field="file") from exc


UPLOAD_ERRORS = problem_responses(400, 413, 415, 422)


class ModelCheck:
    """Pure ASGI: without a servable model, start-up fails with one line, not a traceback."""

    def __init__(self, app: Any, folder: Callable[[], Path]) -> None:
        self.app, self.folder = app, folder

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] == "lifespan" and (problem := model_problem(self.folder())):
            await receive()  # lifespan.startup
            await send({"type": "lifespan.startup.failed", "message": f"Error: {problem}"})
            return
        await self.app(scope, receive, send)


def create_app(model_dir: Path | str | None = None, reload_seconds: float | None = None) -> FastAPI:
    """The API; the model in ``model_dir`` (default: $MODEL_DIR or artifacts/) loads at start-up
    and is replaced by a new export found there (checked every ``reload_seconds``, default
    $RELOAD_SECONDS or 1; 0: never)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        interval = reload_interval() if reload_seconds is None else reload_seconds or None
        app.state.live = Reloader(folder(), Classifier, METADATA_FILE, interval)
        yield

    def folder() -> Path:
        return Path(model_dir or os.environ.get("MODEL_DIR", "artifacts"))

    app = FastAPI(
        title="Image classifier",
        version=__version__,
        description="Upload PNG, JPEG or WebP images; get the most probable classes.",
        lifespan=lifespan,
    )
    body_limit = MAX_BATCH_FILES * MAX_FILE_BYTES + MULTIPART_OVERHEAD
    install_problem_handlers(app, max_body_bytes=body_limit)
    app.add_middleware(ModelCheck, folder=folder)
    add_demo_page(app, DEMO_PAGE)

    def classifier(request: Request) -> Classifier:
        return request.app.state.live.current()

    @app.get("/health", response_model=Health)
    def health(request: Request) -> Health:
        """Liveness, the served model's version, and whether a newer export failed to load."""
        version, stale = classifier(request).version, request.app.state.live.stale
        return Health(status="stale" if stale else "ok", model_version=version, detail=stale)

    @app.get("/metadata", response_model=Metadata)
    def metadata(request: Request) -> Metadata:
        """Classes, model version, input format, the served graph's test metrics, the limits."""
        model = classifier(request)
        meta = model.metadata
        return Metadata(
            classes=model.classes,
            model_version=model.version,
            input=InputFormat(channels=model.channels, size=model.size),
            flip_tta=meta.get("onnx", {}).get("flip_tta"),
            temperature=meta.get("onnx", {}).get("temperature"),
            test_metrics=served_test_metrics(meta),
            served=meta.get("served", "model"),
            val_accuracy=served_val_accuracy(meta),
            trained_at=meta.get("trained_at"),
            data=meta.get("data"),
            limits=Limits(
                max_file_bytes=MAX_FILE_BYTES,
                max_batch_files=MAX_BATCH_FILES,
                max_pixels=decode_limit(model.size, "PNG", MAX_IMAGE_PIXELS),
                max_pixels_jpeg=decode_limit(model.size, "JPEG", MAX_IMAGE_PIXELS),
                formats=FORMATS,
            ),
        )

    @app.post("/predict", response_model=PredictResponse, responses=UPLOAD_ERRORS)
    async def predict(
        request: Request,
        file: Annotated[UploadFile, File(description="A PNG, JPEG or WebP image")],
        top_k: Annotated[int, Query(ge=1, le=1000, description="How many classes")] = 5,
    ) -> PredictResponse:
        """Classify one image (multipart field `file`; the format is read from the bytes).

        Decoding and inference run in one thread-pool call: Pillow and ONNX Runtime release the
        GIL, so the event loop keeps parsing other requests on another core meanwhile.
        """
        model = classifier(request)
        data = read_upload(file)

        def work() -> np.ndarray:
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
            raise ProblemError(
                413, f"{len(files)} files sent; at most {MAX_BATCH_FILES}", field="files"
            )
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

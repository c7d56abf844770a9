"""The API's response models (every 200 answer has one; errors are shared Problems)."""

from __future__ import annotations

from pydantic import BaseModel, Field


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


class Health(BaseModel):
    status: str = Field(description="ok, or stale: the artifacts changed and were not loaded")
    model_version: str = Field(description="Content hash of the served ONNX files")
    detail: str | None = Field(None, description="Why the server is stale")


class InputFormat(BaseModel):
    channels: int
    size: int


class TestMetrics(BaseModel):
    accuracy: float
    accuracy_95: list[float] | None = None
    macro_f1: float
    macro_f1_95: list[float] | None = None
    n_test: int
    flip_tta: bool


class Limits(BaseModel):
    max_file_bytes: int
    max_batch_files: int
    max_pixels: int = Field(description="Most pixels of a PNG or WebP (decoded in full)")
    max_pixels_jpeg: int = Field(description="Most pixels of a JPEG (decoded at up to 1/8 scale)")
    formats: list[str]


class Metadata(BaseModel):
    classes: list[str]
    model_version: str
    input: InputFormat
    flip_tta: bool | None
    temperature: float | None = Field(
        description="Divides the served logits: fitted on the validation split (1: not calibrated)"
    )
    test_metrics: TestMetrics | None = Field(description="`evaluate`'s figures, served graph")
    served: str = Field(description="model, or baseline: `train` served the pixel baseline")
    val_accuracy: float | None
    trained_at: str | None
    data: str | None
    limits: Limits

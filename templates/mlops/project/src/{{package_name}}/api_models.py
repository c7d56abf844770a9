"""Request and response bodies of the API (the OpenAPI schema's models)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Feedback(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prediction_id: str = Field(min_length=1, max_length=64)
    churned: bool = Field(strict=True)


class Prediction(BaseModel):
    prediction_id: str
    customer_id: str
    churn_probability: float = Field(ge=0, le=1)
    churn: bool
    threshold: float
    variant: str = Field(description="champion or challenger: which model answered")
    model_version: str
    model_sha256: str = Field(description="content hash of the model that answered (ONNX)")


class FeedbackAnswer(BaseModel):
    status: str
    prediction_id: str


class Health(BaseModel):
    status: str
    mode: str = Field(description="ab, shadow or canary")
    versions: dict[str, str] = Field(description="variant -> model version serving now")
    sha256: dict[str, str] = Field(description="variant -> content hash of its served model")
    loaded_at: float = Field(description="when this set of models started serving (Unix time)")
    reloads: int = Field(description="model sets loaded since start (1 + hot reloads)")
    canary: dict[str, Any] | None = Field(
        None, description="a canary's step, share, guards' figures and rollback (canary mode)"
    )


class ModelsAnswer(BaseModel):
    source: str
    mode: str
    challenger_share: float
    salt: str
    models: dict[str, dict[str, Any]]


class Metadata(BaseModel):
    service: str
    version: str
    features: list[str]
    entity_id: str
    models: dict[str, str]
    sha256: dict[str, str] = Field(description="variant -> content hash of its served model")
    kinds: dict[str, str] = Field(description="variant -> gradient boosting or logistic baseline")
    metrics: dict[str, float] = Field(description="the champion's test metrics")
    prediction_logging: bool


class ReloadAnswer(BaseModel):
    changed: bool
    versions: dict[str, str]

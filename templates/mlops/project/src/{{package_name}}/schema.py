"""The declared schema of a customer row: one pydantic model for CSV validation and the API."""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)


def _not_bool(value: object) -> object:
    if isinstance(value, bool):  # JSON true/false is not a number of months or dollars
        raise ValueError("expected a number, not a boolean")
    return value


# NaN and infinities (JSON's ``Infinity`` too) are refused before any range check.
Number = Annotated[float, Field(allow_inf_nan=False), BeforeValidator(_not_bool)]
Count = Annotated[int, BeforeValidator(_not_bool)]
YesNo = Literal["Yes", "No"]
InternetAddOn = Literal["Yes", "No", "No internet service"]
PaymentMethod = Literal[
    "Electronic check", "Mailed check", "Bank transfer (automatic)", "Credit card (automatic)"
]

NUMERIC = ["tenure", "monthly_charges", "total_charges"]
MAX_TOTAL = 120 * 1000.0  # the largest tenure times the largest monthly charge
# The bounds come before the validator, so that the OpenAPI schema states them (minimum, maximum).
TotalCharges = Annotated[
    float, Field(ge=0, le=MAX_TOTAL, allow_inf_nan=False), BeforeValidator(_not_bool)
]
CHARGE_SLACK = 2.0
ID = "customer_id"
TARGET = "churn"

# Column names of the IBM Telco CSV, mapped to ours (CamelCase to snake_case).
_TELCO = """customerID gender SeniorCitizen Partner Dependents tenure PhoneService MultipleLines
InternetService OnlineSecurity OnlineBackup DeviceProtection TechSupport StreamingTV
StreamingMovies Contract PaperlessBilling PaymentMethod MonthlyCharges TotalCharges Churn"""
TELCO_COLUMNS = {name: re.sub(r"(?<=[a-z])(?=[A-Z])", "_", name).lower() for name in _TELCO.split()}


class Customer(BaseModel):
    """One customer's features, as the model sees them."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _strip(cls, data: object) -> object:
        """Strip every string first: the categories are matched exactly ("  Female  ")."""
        if isinstance(data, dict):
            return {k: v.strip() if isinstance(v, str) else v for k, v in data.items()}
        return data

    customer_id: str = Field(min_length=1, max_length=64)
    gender: Literal["Female", "Male"]
    senior_citizen: Literal["Yes", "No"]
    partner: YesNo
    dependents: YesNo
    tenure: Count = Field(ge=0, le=120, description="months with the company")
    phone_service: YesNo
    multiple_lines: Literal["Yes", "No", "No phone service"]
    internet_service: Literal["DSL", "Fiber optic", "No"]
    online_security: InternetAddOn
    online_backup: InternetAddOn
    device_protection: InternetAddOn
    tech_support: InternetAddOn
    streaming_tv: InternetAddOn
    streaming_movies: InternetAddOn
    contract: Literal["Month-to-month", "One year", "Two year"]
    paperless_billing: YesNo
    payment_method: PaymentMethod
    monthly_charges: Number = Field(ge=0, le=1000)
    total_charges: TotalCharges | None = Field(default=None, description="empty for new customers")

    @model_validator(mode="after")
    def _charges_agree(self) -> Customer:
        """Total charges cannot exceed what the tenure at the monthly price allows (x2 for
        price changes, plus a month's slack): a larger one is a unit or entry error."""
        limit = CHARGE_SLACK * max(self.tenure, 1) * self.monthly_charges + 100.0
        if self.total_charges is not None and self.total_charges > limit:
            raise ValueError(
                f"total_charges {self.total_charges:g} is more than {CHARGE_SLACK:g} x tenure "
                f"({self.tenure}) x monthly_charges ({self.monthly_charges:g}) + 100"
            )
        return self


class LabelledCustomer(Customer):
    """A customer with the known outcome, as in training data."""

    churn: bool


CATEGORICAL = [f for f in Customer.model_fields if f not in {ID, *NUMERIC}]
FEATURES = NUMERIC + CATEGORICAL


def validate_frame(
    frame: pd.DataFrame, *, labelled: bool = True
) -> tuple[pd.DataFrame, dict[int, list[str]]]:
    """Validate every row; return the valid rows (typed) and, per bad row's line, its reasons.

    A row is bad when a field breaks the schema, when total_charges is blank for a customer with
    tenure > 0 (only new customers have no charges yet), or when its customer_id repeats an
    earlier row's. Bad rows are never dropped silently: the caller records them in its ledger.
    """
    model = LabelledCustomer if labelled else Customer
    expected = set(model.model_fields)
    missing = sorted(expected - set(frame.columns) - {"total_charges"})
    if missing:
        raise ValueError(f"missing columns: {', '.join(missing)}")
    lines = frame["_line"].tolist() if "_line" in frame else list(range(2, len(frame) + 2))
    frame = frame[[c for c in frame.columns if c in expected]]
    frame = frame.replace(r"^\s*$", math.nan, regex=True)  # blank strings and NaN: empty
    frame = frame.astype(object).where(frame.notna(), None)
    good: list[dict] = []
    errors: dict[int, list[str]] = {}
    seen: set[str] = set()
    for line, record in zip(lines, frame.to_dict(orient="records"), strict=True):
        if labelled and isinstance(record.get("churn"), str):
            record["churn"] = {"yes": True, "no": False}.get(
                record["churn"].lower(), record["churn"]
            )
        try:
            row = model.model_validate(record).model_dump()
        except ValidationError as exc:
            errors[int(line)] = [
                f"{'.'.join(str(p) for p in err['loc']) or 'row'}: {err['msg']}"
                for err in exc.errors()
            ]
            continue
        if row["total_charges"] is None and row["tenure"] > 0:
            errors[int(line)] = ["total_charges: blank although tenure > 0"]
        elif row[ID] in seen:
            errors[int(line)] = [f"{ID}: duplicate of an earlier row"]
        else:
            seen.add(row[ID])
            good.append(row)
    valid = pd.DataFrame(good, columns=list(model.model_fields))
    valid["total_charges"] = valid["total_charges"].astype(float)
    return valid, errors

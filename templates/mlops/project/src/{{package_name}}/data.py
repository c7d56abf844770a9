"""Churn data: the public Telco CSV, the user's own CSV, and a seeded generator with drift."""

from __future__ import annotations

import csv
import difflib
import hashlib
import io
import re
import urllib.error
import urllib.request
from pathlib import Path
from typing import get_args

import numpy as np
import pandas as pd

from .ledger import DataError, Ledger
from .schema import (
    ID,
    TARGET,
    TELCO_COLUMNS,
    Customer,
    InternetAddOn,
    LabelledCustomer,
    PaymentMethod,
    validate_frame,
)

__all__ = ["DataError", "check_csv", "generate", "load_csv", "split"]


def read_records(path: Path) -> tuple[pd.DataFrame, Ledger]:
    """Every record of a CSV as strings, with the line it starts on (``_line``), and the ledger:
    a record with the wrong number of fields is rejected with its line. A file that is not
    UTF-8, is empty or breaks the quoting rules (strict) is a one-line DataError."""
    try:
        text = path.read_text("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: byte {exc.start} is not UTF-8; save the file as UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, int, list[str]]] = []  # first line, last line, fields
    end = 0  # the last line read
    try:
        header = [name.strip() for name in next(reader, [])]
        end = reader.line_num
        for fields in reader:
            first, end = end + 1, reader.line_num  # a quoted field may hold line breaks
            if any(field.strip() for field in fields):  # blank lines are not records
                records.append((first, end, fields))
    except csv.Error as exc:  # the record that starts after the last one read
        raise DataError(f"{path}: line {end + 1}: {exc} (a stray quote?)") from None
    if len(set(header)) != len(header):
        raise DataError(f"{path}: the header repeats a column name: {', '.join(header)}")
    if not records:
        raise DataError(f"{path} is empty or has a header but no data rows")
    ledger = Ledger(str(path), records=len(records), read=len(records))
    rows = []
    for first, last, fields in records:
        if len(fields) == len(header):
            rows.append([first, *fields])
            continue
        span = " (spans several lines: a stray quote?)" if last > first else ""
        ledger.reject(first, f"expected {len(header)} fields, found {len(fields)}{span}")
    return pd.DataFrame(rows, columns=["_line", *header], dtype=object), ledger


def check_csv(path: Path, *, labelled: bool | None = True) -> tuple[pd.DataFrame, Ledger]:
    """The valid rows of a churn CSV (our column names or the IBM Telco ones) and the ledger that
    accounts for every record: rows read, and rows rejected by reason with their line numbers.
    ``labelled=None``: labelled when the file has a churn column."""
    if not path.is_file():
        raise DataError(f"{path} not found: run `download`, `generate` or pass your own CSV")
    raw, ledger = read_records(path)
    header, recoded = list(raw.columns[1:]), 0
    if "customerID" in raw:  # the IBM Telco file: its names, and its 0/1 senior flag as No/Yes
        raw = raw.rename(columns=TELCO_COLUMNS)
        if "senior_citizen" in raw:
            senior = raw["senior_citizen"].str.strip()
            recoded = int(senior.isin(["0", "1"]).sum())
            raw["senior_citizen"] = senior.replace({"0": "No", "1": "Yes"})
    labelled = TARGET in raw if labelled is None else labelled
    expected = (LabelledCustomer if labelled else Customer).model_fields
    if missing := [name for name in expected if name not in raw and name != "total_charges"]:
        lowered = {name.lower(): name for name in header}
        close = difflib.get_close_matches(missing[0].lower(), list(lowered), n=1, cutoff=0.6)
        hint = f" (did you mean '{lowered[close[0]]}'?)" if close else ""
        found = ", ".join(header)
        raise DataError(f"{path}: no column '{missing[0]}'{hint}; columns found: {found}")
    valid, errors = validate_frame(raw, labelled=labelled)
    ours = LabelledCustomer.model_fields  # for kept_notes: what is kept or recoded, with counts
    renamed = zip(header, raw.columns[1:], strict=True)
    valid.attrs["ignored"] = [old for old, new in renamed if new not in ours]
    valid.attrs["senior_recoded"] = recoded
    for line, reasons in errors.items():
        ledger.reject(line, reasons[0])
    ledger.read = len(valid)
    ledger.check()
    return valid, ledger


def kept_notes(frame: pd.DataFrame) -> list[str]:
    """What the valid rows of a file (:func:`check_csv`) keep that a reader might expect to be
    changed, with counts, and its columns outside the schema (read past, never features):
    nothing is filled, recoded or dropped silently."""
    notes = []
    if recoded := frame.attrs.get("senior_recoded", 0):
        notes.append(f"{recoded} SeniorCitizen values 0/1 recoded to No/Yes (senior_citizen)")
    if ignored := frame.attrs.get("ignored", []):
        notes.append(
            f"{len(ignored)} column(s) outside the schema, ignored (never features): "
            + ", ".join(ignored)
        )
    blank = int((frame["total_charges"].isna() & (frame["tenure"] == 0)).sum())
    if blank:
        notes.append(
            f"{blank} new customers (tenure 0) with blank total_charges: kept as missing "
            "(the models handle a missing value)"
        )
    no_net = int((frame["online_security"] == "No internet service").sum())
    if no_net:
        notes.append(
            f'{no_net} customers with "No internet service" in the add-on columns: kept as a '
            'category of its own (not merged into "No")'
        )
    return notes


def load_csv(
    path: Path, *, labelled: bool | None = True, max_bad_share: float = 0.0
) -> pd.DataFrame:
    """The valid rows of a churn CSV; more than ``max_bad_share`` rejected rows, or no valid row,
    is a DataError that points at `validate`."""
    frame, ledger = check_csv(path, labelled=labelled)
    ledger.enforce(max_bad_share, f"run `validate {path}` to list them")
    return frame


MECHANISMS = ("nonlinear", "linear")


def generate(
    n: int, seed: int = 0, drift: float = 0.0, id_prefix: str = "C", mechanism: str = "nonlinear"
) -> pd.DataFrame:
    """``n`` churn-like customers (Telco-like columns and rates), seeded by ``seed``.

    ``mechanism``: ``nonlinear`` has a tenure hazard and a fibre x price interaction a linear
    model cannot fit; ``linear`` makes the churn log-odds linear, where the logistic baseline is
    the right model (the honest check of the baseline gate). ``drift`` (0: reference) makes
    customers newer, pricier (+``drift``/2 SD), more often on fibre, and fibre customers without
    tech support churn more, so a model trained before the drift is worse after it.
    """
    rng = np.random.default_rng(seed)
    d = float(drift)

    def choice(options: list[str], p: np.ndarray | list[float]) -> np.ndarray:
        p = np.asarray(p, dtype=float)
        if p.ndim == 1:
            return rng.choice(options, size=n, p=p / p.sum())
        cum = np.cumsum(p / p.sum(axis=1, keepdims=True), axis=1)
        return np.asarray(options)[(rng.random((n, 1)) > cum).sum(axis=1).clip(0, len(options) - 1)]

    gender = choice(["Female", "Male"], [0.5, 0.5])
    senior = choice(["Yes", "No"], [0.16, 0.84])
    partner = choice(["Yes", "No"], [0.48, 0.52])
    dependents = np.where(
        partner == "Yes", choice(["Yes", "No"], [0.5, 0.5]), choice(["Yes", "No"], [0.1, 0.9])
    )
    # Tenure: many new customers and a long tail of loyal ones (Telco's U-shape), newer with drift.
    new = rng.random(n) < 0.35 + 0.15 * d
    tenure = np.where(new, rng.integers(0, 13, n), rng.integers(1, 73, n)).astype(int)
    t = tenure / 72.0
    contract = choice(
        ["Month-to-month", "One year", "Two year"],
        np.column_stack([0.85 - 0.6 * t, 0.1 + 0.25 * t, 0.05 + 0.35 * t]),
    )
    phone = choice(["Yes", "No"], [0.9, 0.1])
    multiple = np.where(phone == "No", "No phone service", choice(["Yes", "No"], [0.47, 0.53]))
    internet = choice(["DSL", "Fiber optic", "No"], [0.34, 0.44 + 0.12 * d, 0.22 - 0.06 * d])
    has_net = internet != "No"
    addons = {}
    add_ons = [f for f, info in Customer.model_fields.items() if info.annotation == InternetAddOn]
    for name, p_yes in zip(add_ons, [0.37, 0.44, 0.44, 0.37, 0.49, 0.5], strict=True):
        yes = rng.random(n) < p_yes
        addons[name] = np.where(~has_net, "No internet service", np.where(yes, "Yes", "No"))
    paperless = choice(["Yes", "No"], [0.59, 0.41])
    payment = choice(list(get_args(PaymentMethod)), [0.34, 0.23, 0.22, 0.21])
    base = np.select([internet == "Fiber optic", internet == "DSL"], [70.0, 45.0], 20.0)
    n_addons = sum((addons[k] == "Yes").astype(float) for k in addons)
    monthly = base + 5.0 * n_addons + 5.0 * (multiple == "Yes") + rng.normal(0, 6, n)
    monthly = np.clip(monthly + d * 15.0, 18.0, 400.0).round(2)  # monthly charges' SD is about 30
    total = np.where(tenure == 0, np.nan, (monthly * tenure * rng.normal(1, 0.03, n)).round(2))

    # Churn: a hazard that falls steeply in the first year, contract and payment effects, and a
    # fibre x price interaction that a linear model cannot represent.
    fiber = internet == "Fiber optic"
    no_support = addons["tech_support"] == "No"
    if mechanism not in MECHANISMS:
        raise ValueError(f"mechanism must be one of {', '.join(MECHANISMS)}, not {mechanism!r}")
    linear = (
        -1.2
        - 0.035 * tenure
        + 0.02 * (monthly - 65.0)
        + np.select([contract == "Month-to-month", contract == "One year"], [0.8, -0.4], -1.2)
        + 0.5 * (payment == "Electronic check")
        + 0.4 * (senior == "Yes")
        - 0.5 * (addons["online_security"] == "Yes")
        + 0.3 * fiber
        + (0.3 + 1.6 * d) * no_support
    )
    logit = linear if mechanism == "linear" else (
        -2.3
        + np.where(
            contract == "Month-to-month", 2.6 * np.exp(-tenure / 6.0), 0.6 * np.exp(-tenure / 6.0)
        )
        + np.select([contract == "Month-to-month", contract == "One year"], [0.9, -0.5], -1.8)
        + 0.5 * (payment == "Electronic check")
        + 0.6 * ((senior == "Yes") & (dependents == "No"))
        - 0.5 * (addons["online_security"] == "Yes")
        + 0.2 * (paperless == "Yes")
        + np.where(fiber, 1.8 * np.tanh((monthly - 88.0) / 6.0), -0.4)
        + (0.3 + 1.6 * d) * (fiber & no_support)
        - 1.2 * d * (payment == "Electronic check")
        + rng.normal(0, 0.2, n)
    )  # fmt: skip
    churn = rng.random(n) < 1.0 / (1.0 + np.exp(-logit))
    digits = max(6, len(str(n)))
    ids = [f"{id_prefix}{seed:04d}-{i:0{digits}d}" for i in range(n)]
    columns = {ID: ids, "gender": gender, "senior_citizen": senior, "partner": partner,
               "dependents": dependents, "tenure": tenure, "phone_service": phone,
               "multiple_lines": multiple, "internet_service": internet, **addons,
               "contract": contract, "paperless_billing": paperless, "payment_method": payment,
               "monthly_charges": monthly, "total_charges": total, TARGET: churn}  # fmt: skip
    return pd.DataFrame(columns)


def download_unverified(url: str, dest: Path) -> None:
    """Download ``url`` to ``dest`` (via ``dest.part``) for trust on first use."""
    from .download import DownloadError  # the shared downloader needs tqdm: imported on use

    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    try:
        with urllib.request.urlopen(url, timeout=60) as response, part.open("wb") as out:
            while chunk := response.read(1 << 16):
                out.write(chunk)
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        part.unlink(missing_ok=True)
        raise DownloadError(f"could not download {url} ({exc})") from exc
    part.replace(dest)


def pin_checksum(config: Path, dest: Path, digest: str) -> str:
    """Record ``digest`` as data.sha256 in ``config`` if it has exactly one such line; say what
    happened."""
    text = config.read_text("utf-8") if config.is_file() else ""
    new, count = re.subn(r'(?m)^(\s+sha256:)\s*"?[0-9a-fA-F]*"?\s*$', rf'\1 "{digest}"', text)
    if count != 1:
        return f"SHA-256 of {dest}: {digest}; add it to your config as data.sha256"
    config.write_text(new, "utf-8")
    return f"SHA-256 of {dest}: {digest}, recorded as data.sha256 in config.yaml"


def split_of(customer_id: str, test_share: float, valid_share: float, salt: str = "") -> str:
    """``train``, ``valid`` or ``test`` from a hash of the id: stable whatever the row order.

    Use a different ``salt`` to split a part again (independently of the first split).
    """
    key = f"{salt}:{customer_id}".encode()
    u = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
    if u < test_share:
        return "test"
    if u < test_share + valid_share:
        return "valid"
    return "train"


def split(
    frame: pd.DataFrame, test_share: float = 0.2, valid_share: float = 0.1, salt: str = ""
) -> dict[str, pd.DataFrame]:
    """Deterministic train/valid/test split by customer id."""
    parts = frame[ID].map(lambda i: split_of(i, test_share, valid_share, salt))
    return {
        name: frame[parts == name].reset_index(drop=True) for name in ("train", "valid", "test")
    }

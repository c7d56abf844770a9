"""Public datasets: MovieLens (movies) and goodbooks-10k (books), downloaded with checksums.

Every loader returns a :class:`~.data.Dataset`; the number of rating records in the source file is
counted from its lines, independently of the parser, and must equal the interactions read.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from .data import Dataset, add_unlisted_items, items_frame, ratings_frame, split_tokens
from .download import DownloadError, extract, fetch, sha256sum
from .ledger import DataError, Ledger

BASE_URL = "https://files.grouplens.org/datasets/movielens"
MOVIELENS_LICENCE = (
    "MovieLens (GroupLens Research): research use, no commercial use without permission, "
    "redistribution only under the same terms; cite Harper & Konstan 2015"
)
GOODBOOKS_LICENCE = "goodbooks-10k (Zygmunt Zajac, 2017): CC BY-SA 4.0, as its repository states"

# SHA-256 of the archives as their publishers serve them, and where each value was taken from
# ("source"): none was recomputed by this template's authors from a fresh download. If an
# archive does not match (damaged, or re-packed by its publisher), `download` stops with a
# one-line error naming both digests and that source; check the archive yourself, then pass
# `--sha256`.
TFDS = "TensorFlow Datasets (tensorflow_datasets/url_checksums/movielens.txt)"
ARCHIVES = {
    "ml-latest-small": {
        "url": f"{BASE_URL}/ml-latest-small.zip",
        "sha256": "696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
        "marker": "ratings.csv",
        "source": TFDS,
    },
    "ml-100k": {
        "url": f"{BASE_URL}/ml-100k.zip",
        "sha256": "50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
        "marker": "u.data",
        "source": TFDS,
    },
    "ml-1m": {
        "url": f"{BASE_URL}/ml-1m.zip",
        "sha256": "a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
        "marker": "ratings.dat",
        "source": TFDS,
    },
    "goodbooks-10k": {
        "url": "https://github.com/zygmuntz/goodbooks-10k/releases/download/v1.0/goodbooks-10k.zip",
        "sha256": "261b97b56db61f3fb2ce5aadbb13704d30179fcc986c17ace665a0af9ed00731",
        "marker": "books.csv",
        "source": "Ludwig's dataset config (ludwig/datasets/configs/goodbooks_books.yaml)",
    },
}
MOVIELENS = {name: spec for name, spec in ARCHIVES.items() if name.startswith("ml-")}
PUBLIC = tuple(ARCHIVES)
DATASETS = (*PUBLIC, "csv")


def download(name: str, data_dir: Path, sha256: str | None = None) -> Path:
    """Download and extract dataset ``name`` into ``data_dir/name``; returns that folder."""
    if name not in ARCHIVES:
        raise DataError(f"unknown dataset {name!r}; choose one of {', '.join(ARCHIVES)}")
    spec = ARCHIVES[name]
    folder = data_dir / name
    if (folder / spec["marker"]).is_file():
        return folder
    archive = data_dir / f"{name}.zip"
    expected = sha256 or spec["sha256"]
    try:
        fetch(spec["url"], archive, expected)
    except DownloadError as exc:
        actual = _mismatched_digest(exc, archive)
        if actual is None:
            raise
        source = "the value you passed" if sha256 else spec.get("source", "this template")
        redo = f"delete {archive} and " if archive.is_file() else ""
        raise DownloadError(
            f"{archive.name} has SHA-256 {actual}, not {expected} (from {source}): the file is"
            f" damaged or was re-packed; {redo}run `download --dataset {name}` again, or check"
            f" the archive yourself and pass `--sha256 {actual}`"
        ) from exc
    # MovieLens archives hold a folder of their name; goodbooks-10k holds bare files.
    extract(archive, data_dir if name.startswith("ml-") else folder)
    if not (folder / spec["marker"]).is_file():
        raise DownloadError(f"{archive} did not contain the expected files of {name}")
    return folder


def _mismatched_digest(error: DownloadError, archive: Path) -> str | None:
    """The archive's actual SHA-256 when ``error`` is a checksum mismatch, else None."""
    if archive.is_file():  # already on disk, and not the expected file
        return sha256sum(archive)
    found = re.search(r"SHA-256 ([0-9a-f]{64})", str(error))  # a fresh download that mismatched
    return found.group(1) if found else None


def detect(folder: Path) -> str:
    """Which dataset layout ``folder`` holds."""
    if (folder / "books.csv").is_file() and (folder / "ratings.csv").is_file():
        return "goodbooks-10k"
    for name in ("ml-latest-small", "ml-100k", "ml-1m"):
        if (folder / ARCHIVES[name]["marker"]).is_file():
            return name
    raise DataError(
        f"{folder} holds no MovieLens or goodbooks-10k ratings; "
        "run the `download` command first or pass --data-dir"
    )


def load(folder: Path) -> Dataset:
    """Load an extracted dataset folder (any layout :func:`detect` knows)."""
    name = detect(folder)
    if name == "goodbooks-10k":
        return load_goodbooks(folder)
    return load_movielens(folder)


def _lines(path: Path, encoding: str = "utf-8") -> int:
    """Non-empty physical lines of a file (counted without the parser)."""
    with path.open("rb") as handle:
        return sum(1 for line in handle if line.strip())


def _account(path: Path, read: int, header: bool) -> dict[str, object]:
    ledger = Ledger(str(path.name), _lines(path) - int(header))
    ledger.read = read
    ledger.check()
    return ledger.as_dict()


def detect_movielens(folder: Path) -> str:
    """Which MovieLens layout ``folder`` holds."""
    name = detect(folder)
    if name == "goodbooks-10k":
        raise DataError(f"{folder} holds goodbooks-10k, not MovieLens")
    return name


def load_movielens(folder: Path) -> Dataset:
    """Load an extracted MovieLens folder (ml-latest-small/ml-latest, ml-100k or ml-1m)."""
    name = detect_movielens(folder)
    if name == "ml-latest-small":
        ratings = pd.read_csv(folder / "ratings.csv", dtype={"userId": str, "movieId": str})
        ratings = ratings.rename(columns={"userId": "user", "movieId": "item"})
        movies = pd.read_csv(folder / "movies.csv", dtype={"movieId": str})
        items = pd.DataFrame(
            {
                "item": movies["movieId"],
                "title": movies["title"],
                "tokens": movies["genres"].map(split_tokens),
            }
        )
        if (folder / "tags.csv").is_file():
            tags = pd.read_csv(folder / "tags.csv", dtype={"movieId": str, "tag": str})
            items = _add_tags(items, tags.rename(columns={"movieId": "item"}))
    elif name == "ml-100k":
        ratings = pd.read_csv(
            folder / "u.data",
            sep="\t",
            names=["user", "item", "rating", "timestamp"],
            dtype={"user": str, "item": str},
        )
        genres = pd.read_csv(
            folder / "u.genre", sep="|", names=["genre", "index"], encoding="latin-1"
        )
        names = genres.sort_values("index")["genre"].tolist()
        raw = pd.read_csv(
            folder / "u.item",
            sep="|",
            header=None,
            encoding="latin-1",
            dtype={0: str},
        )
        flags = raw.iloc[:, 5 : 5 + len(names)].to_numpy(dtype=bool)
        items = pd.DataFrame(
            {
                "item": raw[0],
                "title": raw[1],
                "tokens": [
                    [g.lower() for g, on in zip(names, row, strict=True) if on] for row in flags
                ],
            }
        )
    else:
        ratings = pd.read_csv(
            folder / "ratings.dat",
            sep="::",
            engine="python",
            names=["user", "item", "rating", "timestamp"],
            dtype={"user": str, "item": str},
        )
        movies = pd.read_csv(
            folder / "movies.dat",
            sep="::",
            engine="python",
            names=["item", "title", "genres"],
            dtype={"item": str},
            encoding="latin-1",
        )
        items = pd.DataFrame(
            {
                "item": movies["item"],
                "title": movies["title"],
                "tokens": movies["genres"].map(split_tokens),
            }
        )
    marker = folder / str(ARCHIVES[name]["marker"])
    report = _account(marker, len(ratings), header=name == "ml-latest-small")
    interactions = ratings_frame(
        ratings["user"], ratings["item"], ratings["rating"], ratings["timestamp"]
    )
    items = add_unlisted_items(
        items_frame(items["item"], items["title"], items["tokens"]), interactions
    )
    return Dataset(interactions, items, name, report, MOVIELENS_LICENCE)


def _add_tags(items: pd.DataFrame, tags: pd.DataFrame) -> pd.DataFrame:
    tags = tags.dropna(subset=["item", "tag"])
    tags = tags.assign(tag="tag:" + tags["tag"].str.strip().str.lower())
    per_item = tags.groupby("item")["tag"].agg(lambda s: sorted(set(s)))
    extra = items["item"].map(per_item)
    items = items.copy()
    items["tokens"] = [
        list(a) + (list(b) if isinstance(b, list) else [])
        for a, b in zip(items["tokens"], extra, strict=True)
    ]
    return items


def load_goodbooks(folder: Path, tags_per_book: int = 10) -> Dataset:
    """goodbooks-10k: 5,976,479 ratings (1-5) of 10,000 books by 53,424 Goodreads users.

    The ratings carry no timestamps; the dataset's README says ratings.csv is sorted by time, so
    row order stands in for time. Tokens are the authors and each book's most used shelf tags.
    """
    ratings = pd.read_csv(folder / "ratings.csv", dtype={"user_id": str, "book_id": str})
    report = _account(folder / "ratings.csv", len(ratings), header=True)
    interactions = ratings_frame(ratings["user_id"], ratings["book_id"], ratings["rating"], None)
    books = pd.read_csv(folder / "books.csv", dtype={"book_id": str, "goodreads_book_id": str})
    tokens = books["authors"].map(lambda a: [f"author:{t}" for t in split_tokens(a, ",")])
    if (folder / "book_tags.csv").is_file() and (folder / "tags.csv").is_file():
        shelf = pd.read_csv(folder / "book_tags.csv", dtype={"goodreads_book_id": str})
        names = pd.read_csv(folder / "tags.csv").set_index("tag_id")["tag_name"]
        shelf = shelf.assign(tag=shelf["tag_id"].map(names)).dropna(subset=["tag"])
        shelf = shelf.sort_values("count", ascending=False, kind="stable")
        top = shelf.groupby("goodreads_book_id")["tag"].agg(
            lambda s: [f"tag:{t.lower()}" for t in s.head(tags_per_book)]
        )
        extra = books["goodreads_book_id"].map(top)
        tokens = pd.Series(
            [a + (b if isinstance(b, list) else []) for a, b in zip(tokens, extra, strict=True)]
        )
    items = items_frame(books["book_id"], books["title"], tokens)
    items = add_unlisted_items(items, interactions)
    return Dataset(interactions, items, "goodbooks-10k", report, GOODBOOKS_LICENCE)

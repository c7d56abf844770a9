"""The TF-IDF + logistic-regression baseline as `serve` runs it: NumPy only (scikit-learn is a
training dependency). `export` writes the fitted vocabularies, idf weights and coefficients to
baseline.npz and checks these functions against scikit-learn on the whole test split."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np

BASELINE_GRAPH = "baseline.npz"
WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
PARTS = ("word", "char")


def word_ngrams(text: str, low: int, high: int) -> list[str]:
    """Word n-grams as TfidfVectorizer(analyzer="word") makes them (lower-cased)."""
    tokens = WORD.findall(text.lower())
    return [
        " ".join(tokens[i : i + n])
        for n in range(low, min(high, len(tokens)) + 1)
        for i in range(len(tokens) - n + 1)
    ]


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside space-padded words, as analyzer="char_wb" makes them."""
    out = []
    for word in text.lower().split():
        padded = f" {word} "
        for n in range(low, high + 1):
            out += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
            if len(padded) <= n:  # a short word is counted once, not once per n
                break
    return out


class LinearBaseline:
    """baseline.npz: per part, the terms (newline-joined UTF-8), idf and n-gram range; then the
    coefficients (labels, features) and intercepts over the concatenated parts."""

    def __init__(self, path: Path) -> None:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
        self.parts = []
        for part in PARTS:
            terms = arrays[f"{part}_terms"].tobytes().decode("utf-8").split("\n")
            low, high = (int(n) for n in arrays[f"{part}_ngram_range"])
            vocab = {t: i for i, t in enumerate(terms)}
            self.parts.append((vocab, arrays[f"{part}_idf"], low, high))
        self.coef, self.intercept = arrays["coef"], arrays["intercept"]
        self.binary = bool(arrays["binary"])

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """Column indices and values of the text's TF-IDF row (sublinear tf, L2 per part)."""
        columns, values, offset = [], [], 0
        for (vocab, idf, low, high), grams in zip(
            self.parts, (word_ngrams, char_wb_ngrams), strict=True
        ):
            counts = Counter(g for g in grams(text, low, high) if g in vocab)
            index = np.fromiter((vocab[g] for g in counts), dtype=np.int64, count=len(counts))
            tf = 1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
            weights = tf * idf[index]
            norm = np.sqrt((weights**2).sum())
            columns.append(index + offset)
            values.append(weights / norm if norm > 0 else weights)
            offset += len(idf)
        return np.concatenate(columns), np.concatenate(values)

    def logits(self, text: str) -> np.ndarray:
        """(labels,) logits: softmax (or sigmoid per label) of them gives the probabilities."""
        columns, values = self.features(text)
        d = self.coef[:, columns] @ values + self.intercept
        return np.concatenate([[0.0], d]) if self.binary else d

    def tokens(self, text: str) -> int:
        """Word tokens the baseline read (it reads the whole text: nothing is truncated)."""
        return len(WORD.findall(text.lower()))

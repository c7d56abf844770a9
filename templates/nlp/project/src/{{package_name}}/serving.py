"""The served model: ONNX Runtime + the `tokenizers` library (no torch, no transformers)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

TOKENIZER_FILE = "tokenizer.json"


class TextModel:
    """Tokenizer, ONNX graph, labels and thresholds from an exported artifacts folder."""

    def __init__(
        self, model_dir: Path | str, graph: str | None = None, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        meta_path = model_dir / "metadata.json"
        if not meta_path.is_file() or "onnx" not in (
            meta := json.loads(meta_path.read_text("utf-8"))
        ):
            raise RuntimeError(f"no exported model in {model_dir}: run `train`, then `export`")
        self.metadata = meta
        self.labels: list[str] = meta["labels"]
        self.multilabel: bool = meta["multilabel"]
        self.max_tokens: int = meta["max_length"]
        self.thresholds: dict = meta["thresholds"]
        self.version: str = meta.get("model_version", "unknown")
        self.graph = graph or meta["onnx"]["serve"]
        self.tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("ORT_THREADS", 1))
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_dir / self.graph), options, providers=["CPUExecutionProvider"]
        )
        self.probs(["warm up"])  # fail at start-up, not on the first request

    def encode(self, text: str) -> tuple[np.ndarray, bool]:
        """Token ids (1, tokens) of one text (no padding) and whether it was truncated."""
        encoding = self.tokenizer.encode(text)
        return np.asarray([encoding.ids], dtype=np.int64), bool(encoding.overflowing)

    def score(self, text: str) -> tuple[np.ndarray, bool, int]:
        """Probabilities of one text (one graph run), whether it was truncated, its tokens."""
        ids, truncated = self.encode(text)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        logits = self.session.run(None, feed)[0]
        return to_probs(logits, self.multilabel)[0], truncated, ids.shape[1]

    def probs(self, texts: list[str]) -> np.ndarray:
        """Probabilities (n, labels), one graph run a text as the API does."""
        return np.asarray([self.score(t)[0] for t in texts])


def to_probs(logits: np.ndarray, multilabel: bool) -> np.ndarray:
    logits = logits.astype(np.float64)
    if multilabel:
        return 1 / (1 + np.exp(-logits))
    z = np.exp(logits - logits.max(1, keepdims=True))
    return z / z.sum(1, keepdims=True)


def check_text(text: str) -> str | None:
    """Why ``text`` cannot be classified (empty, binary, not encodable as UTF-8), or None."""
    if not text.strip():
        return "text is empty or whitespace only"
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text) or "\x7f" in text:
        return "text contains control characters (binary data?)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text is not valid Unicode (lone surrogate): send UTF-8 text"
    return None

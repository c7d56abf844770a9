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
        self.pad_id = int(meta.get("pad_id") or 0)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or int(os.environ.get("ORT_THREADS", 1))
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            str(model_dir / self.graph), options, providers=["CPUExecutionProvider"]
        )
        self.probs(["warm up"])  # fail at start-up, not on the first request

    def encode(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray, list[bool], list[int]]:
        """Padded ids and mask, whether each text was truncated, and its token count."""
        encodings = self.tokenizer.encode_batch(texts)
        width = max(len(e.ids) for e in encodings)
        ids = np.full((len(texts), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(texts), width), dtype=np.int64)
        for i, e in enumerate(encodings):
            ids[i, : len(e.ids)] = e.ids
            mask[i, : len(e.ids)] = 1
        return ids, mask, [bool(e.overflowing) for e in encodings], [len(e.ids) for e in encodings]

    def logits(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[0]

    def probs(self, texts: list[str]) -> np.ndarray:
        """Probabilities (n, labels), one graph run a text as the API does."""
        rows = [self.logits(*self.encode([t])[:2])[0] for t in texts]
        return to_probs(np.asarray(rows), self.multilabel)


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

"""The served model: ONNX Runtime + the `tokenizers` library (no torch, no transformers), or the
TF-IDF baseline with scikit-learn when the gate of `train` chose it."""

from __future__ import annotations

import json
import os
import re
import unicodedata
from pathlib import Path

import numpy as np

from .artifacts import METADATA_FILE, TOKENIZER_FILE, model_version
from .calibration import temperature_of, to_probs

BASELINE_GRAPH = "baseline.served.joblib"  # the baseline `export` checked (train's may be newer)
WORD = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token pattern


class TextModel:
    """Tokenizer, ONNX graph (or the baseline), labels and thresholds from an exported
    artifacts folder: the model `train`'s gate chose unless ``graph`` names another."""

    def __init__(
        self, model_dir: Path | str, graph: str | None = None, threads: int | None = None
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        meta_path = model_dir / METADATA_FILE
        if not meta_path.is_file() or "onnx" not in (
            meta := json.loads(meta_path.read_text("utf-8"))
        ):
            raise RuntimeError(f"no exported model in {model_dir}: run `train`, then `export`")
        self.metadata = meta
        self.labels: list[str] = meta["labels"]
        self.multilabel: bool = meta["multilabel"]
        self.max_tokens: int = meta["max_length"]
        self.thresholds: dict = meta["thresholds"]
        self.graph = graph or meta["onnx"]["serve"]
        self.arm = "baseline" if self.graph == BASELINE_GRAPH else "transformer"
        self.temperature = temperature_of(meta, self.arm)
        self.version = model_version(model_dir, self.graph, meta)
        recorded = meta["onnx"].get("versions", {}).get(self.graph)
        if recorded is not None and recorded != self.version:
            raise RuntimeError(
                f"{model_dir / self.graph} is not the graph `export` checked (version "
                f"{self.version}, checked {recorded}): run `export` again"
            )
        self.tokenizer = Tokenizer.from_file(str(model_dir / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        if self.arm == "baseline":
            import joblib

            self.baseline, self.session = joblib.load(model_dir / self.graph), None
        else:
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads or int(os.environ.get("ORT_THREADS", 1))
            options.inter_op_num_threads = 1
            self.session = ort.InferenceSession(
                str(model_dir / self.graph), options, providers=["CPUExecutionProvider"]
            )
        self.probs(["warm up"])  # fail at start-up, not on the first request

    def test_metrics(self) -> dict | None:
        """This graph's figures on the whole test split, measured by `export` (and the
        baseline's, measured by `evaluate` on the same split)."""
        check = self.metadata["onnx"].get("checks", {}).get(self.graph, {})
        if "onnx_accuracy" not in check:
            return None
        baseline = self.metadata.get("test_metrics", {}).get("baseline_macro_f1")
        return {
            "graph": self.graph,
            "model": self.arm,
            "macro_f1": check["onnx_macro_f1"],
            "accuracy": check["onnx_accuracy"],
            "n_test": check["n"],
            **({"baseline_macro_f1": baseline} if baseline is not None else {}),
        }

    def encode(self, text: str) -> tuple[np.ndarray, bool]:
        """Token ids (1, tokens) of one text (no padding) and whether it was truncated."""
        encoding = self.tokenizer.encode(text)
        return np.asarray([encoding.ids], dtype=np.int64), bool(encoding.overflowing)

    def score(self, text: str) -> tuple[np.ndarray, bool, int]:
        """Calibrated probabilities of one text (one graph run, or the baseline),
        whether it was truncated, and the tokens read."""
        if self.session is None:  # the baseline reads the whole text: nothing is truncated
            from .baseline import decision

            logits, truncated = decision(self.baseline, [text]), False
            tokens = len(WORD.findall(text.lower()))
        else:
            ids, truncated = self.encode(text)
            feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
            logits, tokens = self.session.run(None, feed)[0], ids.shape[1]
        return to_probs(logits, self.multilabel, self.temperature)[0], truncated, tokens

    def probs(self, texts: list[str]) -> np.ndarray:
        """Probabilities (n, labels), one graph run a text as the API does."""
        return np.asarray([self.score(t)[0] for t in texts])


def check_text(text: str) -> str | None:
    """Why ``text`` cannot be classified (empty, nothing visible, binary, not encodable as
    UTF-8), or None."""
    if not text.strip():
        return "text is empty or whitespace only"
    if all(c.isspace() or unicodedata.category(c) == "Cf" for c in text):
        return "text has no visible characters (only whitespace and zero-width characters)"
    if any(ord(c) < 32 and c not in "\t\n\r" for c in text) or "\x7f" in text:
        return "text contains control characters (binary data?)"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "text is not valid Unicode (lone surrogate): send UTF-8 text"
    return None

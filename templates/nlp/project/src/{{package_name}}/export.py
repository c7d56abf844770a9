"""`export`: the fine-tuned model to ONNX (fp32) plus a dynamically int8-quantised copy, each
checked against torch through the serving code path (tokenizers + ONNX Runtime)."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import numpy as np

from .evaluate import Scorer
from .serving import TOKENIZER_FILE, TextModel
from .train import METADATA_FILE

FP32, INT8 = "model.onnx", "model.int8.onnx"
MAX_ABS_DIFF = 1e-3


class ExportError(RuntimeError):
    """The export failed, or an exported graph does not match the torch model."""


def export_trained(
    out_dir: Path, *, quantize: bool = True, max_accuracy_drop: float = 0.01
) -> dict:
    """`export`: the model in ``out_dir``, checked on (up to 1,000 of) its saved test texts."""
    from .config import TrainConfig
    from .evaluate import load_split
    from .train import load_dataset

    meta = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
    data = load_dataset(TrainConfig.from_dict(meta["train_config"]))
    test = data.subset(load_split(out_dir, data.lines)["test"][:1000])
    return export_onnx(
        out_dir, test.texts, test.y, quantize=quantize, max_accuracy_drop=max_accuracy_drop
    )


def describe(meta: dict) -> list[str]:
    """What the checks of each exported graph found, and which graph the API serves."""
    lines = []
    for graph, c in meta["onnx"]["checks"].items():
        acc = (
            f", accuracy {c['onnx_accuracy']:.4f} vs torch {c['torch_accuracy']:.4f}"
            if "onnx_accuracy" in c
            else ""
        )
        lines.append(
            f"{graph}: max |p - p_torch| {c['max_abs_diff']:.1e}, agreement "
            f"{c['agreement']:.4f} on {c['n']} test texts{acc}"
        )
    serve = meta["onnx"]["serve"]
    if serve != INT8:  # .dockerignore sends only the int8 graph of artifacts/ to the image
        lines.append(f"the Docker image needs {serve}: add `!artifacts/{serve}` to .dockerignore")
    return [*lines, f"serving {serve}"]


def export_onnx(
    out_dir: Path,
    texts: list[str],
    labels: np.ndarray | None = None,
    *,
    quantize: bool = True,
    max_accuracy_drop: float = 0.01,
    opset: int = 17,
) -> dict:
    """Write model.onnx (+ model.int8.onnx) and tokenizer.json; record the checks in metadata."""
    import torch

    scorer = Scorer(out_dir)
    meta = scorer.meta
    tok = scorer.tokenizer.backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    tok.save(str(out_dir / TOKENIZER_FILE))
    example = scorer.tokenizer(["an example text", "another"], padding=True, return_tensors="pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            scorer.model.eval(),
            (example["input_ids"], example["attention_mask"]),
            str(out_dir / FP32),
            input_names=["input_ids", "attention_mask"],
            output_names=["logits"],
            opset_version=opset,
            dynamo=False,
            dynamic_axes={
                "input_ids": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"},
                "logits": {0: "batch"},
            },
        )
    graphs = [FP32]
    if quantize:
        from onnxruntime.quantization import QuantType, quantize_dynamic

        quantize_dynamic(
            str(out_dir / FP32), str(out_dir / INT8), weight_type=QuantType.QInt8, per_channel=True
        )
        graphs.append(INT8)
    meta["onnx"] = {"serve": graphs[-1], "graphs": graphs, "opset": opset}
    (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    expected = scorer.probs(texts)
    checks = {}
    for graph in graphs:
        got = TextModel(out_dir, graph=graph).probs(texts)
        checks[graph] = parity(expected, got, labels, meta["multilabel"])
    meta["onnx"]["checks"] = checks
    (out_dir / METADATA_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    if checks[FP32]["max_abs_diff"] >= MAX_ABS_DIFF:
        raise ExportError(f"{FP32} differs from torch: {checks[FP32]}")
    if quantize and checks[INT8].get("accuracy_drop", 0.0) > max_accuracy_drop:
        raise ExportError(f"{INT8} loses too much accuracy: {checks[INT8]}; try --no-quantize")
    return meta


def parity(
    expected: np.ndarray, got: np.ndarray, labels: np.ndarray | None, multilabel: bool
) -> dict:
    """Largest probability difference, decision agreement and (with labels) accuracy of both."""
    from .metrics import accuracy, decide

    same = decide(expected, multilabel) == decide(got, multilabel)
    out = {
        "n": len(expected),
        "max_abs_diff": float(np.abs(expected - got).max()),
        "agreement": float(same.all(1).mean() if multilabel else same.mean()),
    }
    if labels is not None:
        out["torch_accuracy"] = accuracy(labels, expected, multilabel)
        out["onnx_accuracy"] = accuracy(labels, got, multilabel)
        out["accuracy_drop"] = out["torch_accuracy"] - out["onnx_accuracy"]
    return out

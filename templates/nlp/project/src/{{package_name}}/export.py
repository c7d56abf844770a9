"""`export`: the fine-tuned model to ONNX (fp32) plus a dynamically int8-quantised copy, each
checked against torch through the serving code path (tokenizers + ONNX Runtime) on the whole
test split. The graphs are staged in a temporary folder and published only when the checks pass:
a refused graph never becomes the served one."""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .artifacts import (
    BASELINE_FILE,
    METADATA_FILE,
    TOKENIZER_FILE,
    model_version,
    publish,
    write_json,
)
from .finetune import Scorer
from .gate import describe as describe_gate
from .gate import served_arm
from .serving import BASELINE_GRAPH, TextModel

FP32, INT8 = "model.onnx", "model.int8.onnx"
MAX_ABS_DIFF = 1e-3


class ExportError(RuntimeError):
    """The export failed, or an exported graph does not match the torch model."""


def export_trained(
    out_dir: Path, *, quantize: bool = True, max_accuracy_drop: float = 0.01
) -> dict:
    """`export`: the model in ``out_dir``, checked on all of its saved test texts."""
    from .evaluate import held_out

    test = held_out(out_dir, json.loads((out_dir / METADATA_FILE).read_text("utf-8")))
    return export_onnx(
        out_dir, test.texts, test.y, quantize=quantize, max_accuracy_drop=max_accuracy_drop
    )


def describe(meta: dict) -> list[str]:
    """What the checks of each exported graph found, and which graph the API serves."""
    lines = []
    for graph, c in meta["onnx"]["checks"].items():
        acc = (
            f", accuracy {c['onnx_accuracy']:.4f} vs reference {c['torch_accuracy']:.4f}"
            if "onnx_accuracy" in c
            else ""
        )
        lines.append(
            f"{graph}: max |p - p_reference| {c['max_abs_diff']:.1e}, agreement "
            f"{c['agreement']:.4f} on {c['n']} test texts{acc}"
        )
    serve = meta["onnx"]["serve"]
    if serve not in (INT8, BASELINE_GRAPH):  # .dockerignore sends only these two to the image
        lines.append(f"the Docker image needs {serve}: add `!artifacts/{serve}` to .dockerignore")
    version = meta["onnx"]["versions"][serve]
    gate = meta.get("gate")
    why = f"; {describe_gate(gate)}" if gate else ""
    return [*lines, f"serving {serve} (model version {version}){why}"]


def export_onnx(
    out_dir: Path,
    texts: list[str],
    labels: np.ndarray | None = None,
    *,
    quantize: bool = True,
    max_accuracy_drop: float = 0.01,
    opset: int = 17,
) -> dict:
    """Write model.onnx (+ model.int8.onnx), tokenizer.json and the baseline to a staging
    folder, check each against torch or scikit-learn on ``texts``, then publish them
    with the checks in metadata.json; `serve` runs the model the gate of `train` chose."""
    scorer = Scorer(out_dir)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        staging = Path(tmp)
        graphs = _write_graphs(scorer, staging, quantize, opset)
        serve = BASELINE_GRAPH if served_arm(scorer.meta) == "baseline" else graphs[-1]
        graphs.append(_write_baseline(out_dir, staging))
        meta = {**scorer.meta, "onnx": {"serve": serve, "graphs": graphs, "opset": opset}}
        write_json(staging / METADATA_FILE, meta)
        expected = {"transformer": scorer.probs(texts), "baseline": _baseline_probs(out_dir, texts)}
        checks = {}
        for graph in graphs:
            served = TextModel(staging, graph=graph)
            checks[graph] = parity(
                expected[served.arm], served.probs(texts), labels, meta["multilabel"]
            )
        served = _served(out_dir)
        if checks[FP32]["max_abs_diff"] >= MAX_ABS_DIFF:
            raise ExportError(f"{FP32} differs from torch: {checks[FP32]}; {served}")
        if quantize and checks[INT8].get("accuracy_drop", 0.0) > max_accuracy_drop:
            drop = checks[INT8]["accuracy_drop"]
            raise ExportError(
                f"{INT8} refused: it loses {drop:.4f} accuracy on {len(texts)} test texts "
                f"(limit {max_accuracy_drop}); {served}; try --no-quantize"
            )
        meta["onnx"]["checks"] = checks
        meta["onnx"]["versions"] = {g: model_version(staging, g, meta) for g in graphs}
        write_json(staging / METADATA_FILE, meta)
        publish(staging, out_dir, [TOKENIZER_FILE, *graphs, METADATA_FILE])
    return meta


def _write_baseline(out_dir: Path, folder: Path) -> str:
    """A copy of the TF-IDF baseline that `serve` loads (the next `train` may replace train's)."""
    shutil.copyfile(out_dir / BASELINE_FILE, folder / BASELINE_GRAPH)
    return BASELINE_GRAPH


def _baseline_probs(out_dir: Path, texts: list[str]) -> np.ndarray:
    """scikit-learn's calibrated baseline probabilities, as `evaluate` computes them."""
    import joblib

    from .baseline import predict_proba
    from .calibration import temperature_of

    meta = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
    model = joblib.load(out_dir / BASELINE_FILE)
    return predict_proba(model, texts, meta["multilabel"], temperature_of(meta, "baseline"))


def _served(out_dir: Path) -> str:
    """What `serve` still serves after a refused export (nothing changed)."""
    meta = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
    if "onnx" not in meta:
        return "nothing was published: there is no exported model to serve"
    return f"nothing was published: serve keeps {meta['onnx']['serve']} (the last checked export)"


def _write_graphs(scorer: Scorer, folder: Path, quantize: bool, opset: int) -> list[str]:
    """The serving tokenizer, the fp32 graph and (``quantize``) its int8 copy in ``folder``."""
    import torch

    tok = scorer.tokenizer.backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    tok.save(str(folder / TOKENIZER_FILE))
    example = scorer.tokenizer(["an example text", "another"], padding=True, return_tensors="pt")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            scorer.model.eval(),
            (example["input_ids"], example["attention_mask"]),
            str(folder / FP32),
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
    if not quantize:
        return [FP32]
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(folder / FP32), str(folder / INT8), weight_type=QuantType.QInt8, per_channel=True
    )
    return [FP32, INT8]


def parity(
    expected: np.ndarray, got: np.ndarray, labels: np.ndarray | None, multilabel: bool
) -> dict:
    """Largest probability difference, decision agreement and (with labels) the accuracy of
    both and the graph's own macro-F1 (the served graph's test figure)."""
    from .metrics import accuracy, decide, macro_f1

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
        out["onnx_macro_f1"] = macro_f1(labels, got, multilabel)
    return out

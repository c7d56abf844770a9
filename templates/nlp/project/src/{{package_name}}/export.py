"""`export`: the fine-tuned model to ONNX (fp32) plus a dynamically int8-quantised copy, each
checked against torch through the serving code path (tokenizers + ONNX Runtime) on the whole
test split. The graphs are staged in a temporary folder and published only when the checks pass:
a refused graph never becomes the served one."""

from __future__ import annotations

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
from .calibration import temperature_of
from .finetune import Scorer
from .metrics import accuracy, decide, macro_f1
from .serving import BASELINE_GRAPH, TextModel

FP32, INT8 = "model.onnx", "model.int8.onnx"
MAX_ABS_DIFF = 1e-3


class ExportError(RuntimeError):
    """The export failed, or an exported graph does not match the torch model."""


def export_trained(
    out_dir: Path, *, quantize: bool = True, max_accuracy_drop: float = 0.01, opset: int = 17
) -> dict:
    """Write model.onnx (+ model.int8.onnx), tokenizer.json and the baseline to a staging
    folder, check each against torch or scikit-learn on the saved test split, then publish them
    with the checks in metadata.json; `serve` runs the model the gate of `train` chose."""
    import joblib

    from .baseline import predict_proba
    from .evaluate import held_out

    scorer = Scorer(out_dir)
    kept = "nothing was published: " + (
        f"serve keeps {scorer.meta['onnx']['serve']} (the last checked export)"
        if "onnx" in scorer.meta
        else "there is no exported model to serve"
    )
    test = held_out(out_dir, scorer.meta)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        staging = Path(tmp)
        graphs = _write_graphs(scorer, staging, quantize, opset)
        serve = BASELINE_GRAPH if scorer.meta["gate"]["served"] == "baseline" else graphs[-1]
        shutil.copyfile(out_dir / BASELINE_FILE, staging / BASELINE_GRAPH)
        graphs.append(BASELINE_GRAPH)
        meta = {**scorer.meta, "onnx": {"serve": serve, "graphs": graphs, "opset": opset}}
        write_json(staging / METADATA_FILE, meta)
        baseline = joblib.load(out_dir / BASELINE_FILE)
        expected = {
            "transformer": scorer.probs(test.texts),
            "baseline": predict_proba(
                baseline, test.texts, meta["multilabel"], temperature_of(meta, "baseline")
            ),
        }
        checks = {}
        for graph in graphs:
            served = TextModel(staging, graph=graph)
            checks[graph] = parity(
                expected[served.arm], served.probs(test.texts), test.y, meta["multilabel"]
            )
        if checks[FP32]["max_abs_diff"] >= MAX_ABS_DIFF:
            raise ExportError(f"{FP32} differs from torch: {checks[FP32]}; {kept}")
        if quantize and (drop := checks[INT8]["accuracy_drop"]) > max_accuracy_drop:
            raise ExportError(
                f"{INT8} refused: it loses {drop:.4f} accuracy on {len(test)} test texts "
                f"(limit {max_accuracy_drop}); {kept}; try --no-quantize"
            )
        meta["onnx"]["checks"] = checks
        meta["onnx"]["versions"] = {g: model_version(staging, g, meta) for g in graphs}
        write_json(staging / METADATA_FILE, meta)
        publish(staging, out_dir, [TOKENIZER_FILE, *graphs, METADATA_FILE])
    return meta


def describe(meta: dict) -> list[str]:
    """What the checks of each exported graph found, and which graph the API serves."""
    lines = [
        f"{graph}: max |p - p_reference| {c['max_abs_diff']:.1e}, agreement {c['agreement']:.4f} "
        f"on {c['n']} test texts, accuracy {c['onnx_accuracy']:.4f} vs reference "
        f"{c['torch_accuracy']:.4f}"
        for graph, c in meta["onnx"]["checks"].items()
    ]
    serve = meta["onnx"]["serve"]
    if serve not in (INT8, BASELINE_GRAPH):  # .dockerignore sends only these two to the image
        lines.append(f"the Docker image needs {serve}: add `!artifacts/{serve}` to .dockerignore")
    version, gate = meta["onnx"]["versions"][serve], meta["gate"]
    return [*lines, f"serving {serve} (model version {version}); {gate['reason']}"]


def _write_graphs(scorer: Scorer, folder: Path, quantize: bool, opset: int) -> list[str]:
    """The serving tokenizer, the fp32 graph and (``quantize``) its int8 copy in ``folder``."""
    import torch

    tok = scorer.tokenizer.backend_tokenizer
    tok.no_truncation()
    tok.no_padding()
    tok.save(str(folder / TOKENIZER_FILE))
    scorer.model.encoder.set_attn_implementation("eager")  # ORT fuses it: int8 runs 6-9% faster
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


def parity(expected: np.ndarray, got: np.ndarray, y: np.ndarray, multilabel: bool) -> dict:
    """Largest probability difference, decision agreement, the accuracy of both and the
    graph's own macro-F1 (the served graph's test figure)."""
    same = decide(expected, multilabel) == decide(got, multilabel)
    reference, own = accuracy(y, expected, multilabel), accuracy(y, got, multilabel)
    return {
        "n": len(expected),
        "max_abs_diff": float(np.abs(expected - got).max()),
        "agreement": float(same.all(1).mean() if multilabel else same.mean()),
        "torch_accuracy": reference,
        "onnx_accuracy": own,
        "accuracy_drop": reference - own,
        "onnx_macro_f1": macro_f1(y, got, multilabel),
    }

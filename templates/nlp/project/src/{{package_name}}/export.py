"""`export`: the fine-tuned model to ONNX (fp32) plus a dynamically int8-quantised copy, each
checked against torch through the serving code path (tokenizers + ONNX Runtime) on the whole
test split. The graphs are staged in a temporary folder and published only when the checks pass:
a refused graph never becomes the served one."""

from __future__ import annotations

import json
import logging
import tempfile
import warnings
from pathlib import Path

import numpy as np

from .artifacts import METADATA_FILE, TOKENIZER_FILE, model_version, publish, write_json
from .evaluate import Scorer
from .serving import TextModel

FP32, INT8 = "model.onnx", "model.int8.onnx"
MAX_ABS_DIFF = 1e-3


class ExportError(RuntimeError):
    """The export failed, or an exported graph does not match the torch model."""


def export_trained(
    out_dir: Path, *, quantize: bool = True, max_accuracy_drop: float = 0.01
) -> dict:
    """`export`: the model in ``out_dir``, checked on all of its saved test texts."""
    from .config import TrainConfig
    from .evaluate import load_split
    from .train import load_dataset

    meta = json.loads((out_dir / METADATA_FILE).read_text("utf-8"))
    data = load_dataset(TrainConfig.from_dict(meta["train_config"]))
    test = data.subset(load_split(out_dir, data.lines)["test"])
    if not len(test):
        raise ExportError("the test split is empty: the exported graphs cannot be checked")
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
    version = meta["onnx"]["versions"][serve]
    return [*lines, f"serving {serve} (model version {version})"]


def export_onnx(
    out_dir: Path,
    texts: list[str],
    labels: np.ndarray | None = None,
    *,
    quantize: bool = True,
    max_accuracy_drop: float = 0.01,
    opset: int = 17,
) -> dict:
    """Write model.onnx (+ model.int8.onnx) and tokenizer.json to a staging folder, check each
    graph against torch on ``texts``, then publish them with the checks in metadata.json."""
    scorer = Scorer(out_dir)
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".export-") as tmp:
        staging = Path(tmp)
        graphs = _write_graphs(scorer, staging, quantize, opset)
        meta = {**scorer.meta, "onnx": {"serve": graphs[-1], "graphs": graphs, "opset": opset}}
        write_json(staging / METADATA_FILE, meta)
        expected = scorer.probs(texts)
        checks = {
            graph: parity(
                expected, TextModel(staging, graph=graph).probs(texts), labels, meta["multilabel"]
            )
            for graph in graphs
        }
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

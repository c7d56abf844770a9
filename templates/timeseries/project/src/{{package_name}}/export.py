"""Export a deep winner to ONNX and check ONNX Runtime against torch on real windows."""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import numpy as np
import torch

from .serving import onnx_file

MAX_ABS_DIFF = 1e-3  # relative to the series' scale: forecasts are in the data's units


class ExportError(RuntimeError):
    """The exported graph does not reproduce the torch model."""


def export_onnx(model, folder: Path, sample: np.ndarray) -> dict:
    """Write ``folder/<name>.onnx`` (dynamic batch) and compare it with torch on ``sample``."""
    import onnxruntime as ort

    net = model.net.eval()
    x = torch.as_tensor(np.asarray(sample, np.float32))
    path = folder / onnx_file(model.name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            net,
            (x[:2],),
            str(path),
            input_names=["history"],
            output_names=["forecast"],
            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},),
            opset_version=18,
            dynamo=True,
            external_data=False,
            verbose=False,
        )
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    with torch.no_grad():
        expected = net(x).numpy()
    got = session.run(None, {"history": x.numpy()})[0]
    scale = float(np.abs(expected).mean()) or 1.0
    diff = float(np.abs(got - expected).max()) / scale
    if diff > MAX_ABS_DIFF:
        raise ExportError(
            f"{model.name}: the ONNX forecasts differ from torch by {diff:.2e} (relative, limit "
            f"{MAX_ABS_DIFF}); nothing was published, serve keeps the artifacts it had"
        )
    return {"file": path.name, "relative_max_abs_diff": diff, "n": len(x)}

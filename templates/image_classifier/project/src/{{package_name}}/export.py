"""Export the trained model to ONNX and check it against torch (parity) with ONNX Runtime."""

from __future__ import annotations

import logging
import shutil
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from .artifacts import load_trained, read_metadata, write_metadata
from .calibrate import temperature_of
from .lifecycle import ONNX_FILE, onnx_files, onnx_version

INPUT_NAME = "image"
OUTPUT_NAME = "logits"
MAX_ABS_DIFF = 1e-4


class ExportError(RuntimeError):
    """The export failed, or the exported model does not match the torch model."""


class FlipTTA(torch.nn.Module):
    """Averages the logits of an image and its mirror image, as `evaluate` does."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (self.model(x) + self.model(x.flip(3))) / 2


class Tempered(torch.nn.Module):
    """Divides the logits by the temperature `train` fitted on the validation split, so the
    served softmax is the calibrated probability `evaluate` scored."""

    def __init__(self, model: torch.nn.Module, temperature: float) -> None:
        super().__init__()
        self.model = model
        self.temperature = temperature

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x) / self.temperature


def export_onnx(
    out_dir: Path | str = "artifacts",
    sample: np.ndarray | None = None,
    *,
    tta: bool = False,
    opset: int = 18,
) -> dict:
    """Write ``out_dir/model.onnx`` (dynamic batch) and verify it on ``sample`` (uint8 NCHW).

    The graph's logits are divided by the temperature `train` fitted on the validation split
    (calibrate.py): the served softmax is `evaluate`'s calibrated probability. It is a single
    pass by default: the API's accuracy is `evaluate`'s main figure.
    ``tta=True`` averages with the mirror image inside the graph (`evaluate`'s flip-TTA figure)
    at twice the serving cost; it needs a model trained with flips. Without a sample, 64 random
    images are used. Raises ExportError when the largest absolute difference of the logits
    reaches 1e-4 or the top-1 class differs; the model already in ``out_dir`` is replaced only
    by one that passed: its files by renames, then metadata.json with the new ``model_version``
    (the ONNX files' hash) last, so a running server loads only a complete export (lifecycle.py).
    """
    out_dir = Path(out_dir)
    model, metadata = load_trained(out_dir, served=True)  # the model, or the baseline (gate.py)
    if tta:
        if not metadata.get("tta_flip"):
            raise ExportError("flip TTA needs a model trained with flips (it was --no-hflip)")
        model = FlipTTA(model).eval()
    temperature = temperature_of(metadata)
    model = Tempered(model, temperature).eval()
    size, channels = metadata["image_size"], metadata["channels"]
    if sample is None or len(sample) == 0:
        rng = np.random.default_rng(0)
        sample = rng.integers(0, 256, (64, channels, size, size), dtype=np.uint8)
    x = torch.from_numpy(np.ascontiguousarray(sample)).float() / 255
    staging = Path(tempfile.mkdtemp(prefix=".onnx-", dir=out_dir))
    try:
        parity = _export(model, x, staging / ONNX_FILE, opset)
        new = onnx_files(staging)
        for stale in {p.name for p in onnx_files(out_dir)} - {p.name for p in new}:
            (out_dir / stale).unlink()
        for file in new:
            file.replace(out_dir / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    metadata.update(
        onnx={
            "file": ONNX_FILE,
            "files": [p.name for p in onnx_files(out_dir)],
            "input": INPUT_NAME,
            "output": OUTPUT_NAME,
            "opset": opset,
            "flip_tta": tta,
            "temperature": temperature,
            "parity": parity,
        },
        model_version=onnx_version(out_dir),
    )
    write_metadata(out_dir, metadata)
    return metadata


def export_trained(
    out_dir: Path, data: str | None, data_dir: str, *, tta: bool = False, warn=print
) -> tuple[dict, list[str]]:
    """Export with a parity check on up to 256 images of the saved test split (random images
    when the data is not there); return the metadata and the names of the files written."""
    from .data import DataError, load_for_model
    from .splits import read_split

    meta = read_metadata(out_dir)
    sample = None
    try:
        dataset = load_for_model(
            meta, data, data_dir, saved=read_split(out_dir), only=("test",),
            warn=lambda _: None, limits={"test": 256},
        )  # fmt: skip
        sample = dataset.split("test")[0][:256]
    except DataError as exc:
        warn(f"parity check on random images ({exc})")
    meta = export_onnx(out_dir, sample, tta=tta)
    return meta, [p.name for p in onnx_files(Path(out_dir))]


def _export(model: torch.nn.Module, x: torch.Tensor, path: Path, opset: int) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("torch.onnx").setLevel(logging.ERROR)
        torch.onnx.export(
            model,
            (x[:2],),
            str(path),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes=({0: torch.export.Dim("batch", min=1, max=4096)},),
            opset_version=opset,
            dynamo=True,
            external_data=True,
            verbose=False,
        )
    return check_parity(model, path, x)


def check_parity(model: torch.nn.Module, path: Path, x: torch.Tensor) -> dict:
    """Largest absolute logit difference and top-1 agreement, ONNX Runtime vs torch.

    Checked on the whole sample and on a single image (the batch dimension must stay dynamic).
    """
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    diffs, same = [], True
    for batch in (x, x[:1]):
        with torch.no_grad():
            expected = model.eval()(batch).numpy()
        try:
            got = session.run(None, {name: batch.numpy()})[0]
        except Exception as exc:  # onnxruntime raises its own error types
            raise ExportError(f"ONNX Runtime cannot run the exported model: {exc}") from exc
        diffs.append(float(np.abs(got - expected).max()))
        same = same and bool((got.argmax(1) == expected.argmax(1)).all())
    result = {"max_abs_diff": max(diffs), "same_top1": same, "n": len(x)}
    if not (result["max_abs_diff"] < MAX_ABS_DIFF and same):
        raise ExportError(f"ONNX output differs from torch: {result}")
    return result

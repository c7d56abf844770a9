"""Image classifier: a compact residual CNN trained with torch, served with ONNX Runtime."""

__version__ = "0.1.0"

"""The deep forecasters in plain PyTorch: a segment LSTM and a PatchTST-style Transformer.

Both map the last ``input_len`` values to the next ``horizon`` values at once (direct
multi-step). Each window is scaled by its own mean and standard deviation inside ``forward``
(reversible instance normalisation): the scaler sees the past only, and the exported ONNX
graph carries it, so serving cannot drift from training.
"""

from __future__ import annotations

import torch
from torch import nn


class InstanceNorm(nn.Module):
    """Wraps a network of scaled windows with the per-window scaling and its inverse.

    With ``season`` set (input_len >= season >= horizon), the network learns a correction to
    the seasonal naive forecast (the window's values one season back), a skip connection that
    starts training from the strongest simple baseline instead of from zero.
    """

    def __init__(self, net: nn.Module, season: int = 0, horizon: int = 0) -> None:
        super().__init__()
        self.net, self.season, self.horizon = net, season, horizon

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=1, keepdim=True)
        std = x.std(dim=1, keepdim=True) + 1e-5
        z = (x - mean) / std
        out = self.net(z)
        if self.season:
            start = x.shape[1] - self.season
            out = out + z[:, start : start + self.horizon]
        return out * std + mean


class SegmentLSTM(nn.Module):
    """An LSTM over consecutive segments of the window (e.g. one day each), then a linear head."""

    def __init__(self, input_len: int, horizon: int, segment: int, hidden: int = 64) -> None:
        super().__init__()
        if input_len % segment:
            raise ValueError("input_len must be a multiple of the segment length")
        self.segment = segment
        self.embed = nn.Linear(segment, hidden)
        self.lstm = nn.LSTM(hidden, hidden, num_layers=2, batch_first=True, dropout=0.1)
        self.head = nn.Linear(hidden, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        segments = x.reshape(x.shape[0], -1, self.segment)
        out, _ = self.lstm(torch.relu(self.embed(segments)))
        return self.head(out[:, -1])


class PatchTransformer(nn.Module):
    """PatchTST-style: overlapping patches, a Transformer encoder, a flatten-linear head."""

    def __init__(
        self,
        input_len: int,
        horizon: int,
        patch: int,
        stride: int,
        d_model: int = 64,
        heads: int = 4,
        layers: int = 2,
        dropout: float = 0.1,
    ) -> None:
        super().__init__()
        self.patch, self.stride = patch, stride
        self.patches = (input_len - patch) // stride + 1
        self.embed = nn.Linear(patch, d_model)
        self.position = nn.Parameter(torch.randn(1, self.patches, d_model) * 0.02)
        layer = nn.TransformerEncoderLayer(
            d_model, heads, 2 * d_model, dropout, batch_first=True, norm_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(dropout))
        self.out = nn.Linear(self.patches * d_model, horizon)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        index = (
            torch.arange(self.patches, device=x.device)[:, None] * self.stride
            + torch.arange(self.patch, device=x.device)[None, :]
        )
        patches = x[:, index]  # (batch, patches, patch)
        z = self.encoder(self.embed(patches) + self.position)
        return self.out(self.head(z))


def build(name: str, input_len: int, horizon: int, day: int, week: int = 0) -> nn.Module:
    """The named network, wrapped in the instance normalisation."""
    segment = day if day > 1 and input_len % day == 0 else max(1, input_len // 7)
    if name == "lstm":
        net: nn.Module = SegmentLSTM(input_len, horizon, segment)
    elif name == "transformer":
        patch = max(2, segment // 2)
        net = PatchTransformer(input_len, horizon, patch, max(1, patch // 2))
    else:
        raise ValueError(f"not a deep model: {name}")
    season = week if week and input_len >= week >= horizon else 0
    if season:  # start exactly at seasonal naive: the network learns the correction
        last = net.head if isinstance(net, SegmentLSTM) else net.out
        nn.init.zeros_(last.weight)
        nn.init.zeros_(last.bias)
    return InstanceNorm(net, season, horizon)

"""The classifier: any Hugging Face encoder (AutoModel), mean pooling, dropout and a linear head."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel
from transformers.utils import logging as hf_logging

hf_logging.disable_progress_bar()
hf_logging.set_verbosity_error()

HEAD_FILE = "head.pt"
CONFIG_FILE = "classifier.json"


class TextClassifier(nn.Module):
    """Encoder + masked mean pooling + linear layer; forward returns logits (batch, labels)."""

    def __init__(self, encoder: nn.Module, num_labels: int, dropout: float = 0.1) -> None:
        super().__init__()
        if getattr(encoder, "pooler", None) is not None:
            encoder.pooler = None  # unused (mean pooling): no dead weights to train or save
        self.encoder = encoder
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(encoder.config.hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(self.dropout(pooled))

    @classmethod
    def from_encoder(cls, name: str, num_labels: int, dropout: float = 0.1) -> TextClassifier:
        """A new head on the pretrained encoder ``name`` (model id or local folder)."""
        return cls(AutoModel.from_pretrained(name), num_labels, dropout)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.save_pretrained(folder)
        torch.save(self.head.state_dict(), folder / HEAD_FILE)
        config = {"num_labels": self.head.out_features, "dropout": self.dropout.p}
        (folder / CONFIG_FILE).write_text(json.dumps(config) + "\n", "utf-8")

    @classmethod
    def load(cls, folder: Path) -> TextClassifier:
        config = json.loads((folder / CONFIG_FILE).read_text("utf-8"))
        model = cls(AutoModel.from_pretrained(folder), config["num_labels"], config["dropout"])
        model.head.load_state_dict(torch.load(folder / HEAD_FILE, weights_only=True))
        for tensor in [*model.parameters(), *model.buffers()]:
            tensor.data = tensor.data.clone()  # off the memory-mapped file, which `train` rewrites
        return model.eval()

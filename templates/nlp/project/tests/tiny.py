"""Tiny, self-made data and models for the tests and for trying the project offline: a learnable
synthetic text task, a WordPiece tokenizer trained on the fly and a randomly initialised BERT.

    python tests/tiny.py sample --out data/sample.csv --rows 400
    python tests/tiny.py model --data data/sample.csv --out artifacts/tiny-bert   # train --model
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

import numpy as np


def _words(text: str) -> list[str]:
    return text.split()


FILLER = _words(
    "the a this that it was is of and to in on with for film story plot actors scene ending "
    "music cast script camera year people thing time way day night"
)
CUES = {
    "positive": _words("great kind lovely brilliant warm delightful superb wonderful"),
    "negative": _words("awful cruel boring dreadful hateful stupid ugly terrible"),
}


def synthetic_texts(rows: int = 400, seed: int = 0, noise: float = 0.1) -> list[tuple[str, str]]:
    """(text, label) pairs: each text hides one or two cue words of its class among filler words;
    ``noise`` of the labels are flipped, so a perfect score is not possible."""
    rng = np.random.default_rng(seed)
    names = sorted(CUES)
    out = []
    for i in range(rows):
        label = names[i % len(names)]
        words = list(rng.choice(FILLER, int(rng.integers(4, 14))))
        for cue in rng.choice(CUES[label], int(rng.integers(1, 3))):
            words.insert(int(rng.integers(0, len(words) + 1)), str(cue))
        if rng.random() < noise:
            label = names[(names.index(label) + 1) % len(names)]
        out.append((" ".join(words), label))
    return out


def write_sample(path: Path, rows: int = 400, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows(synthetic_texts(rows, seed))
    return path


def tiny_model(
    texts: list[str],
    out: Path,
    hidden: int = 32,
    layers: int = 2,
    seed: int = 0,
    lowercase: bool = True,
) -> Path:
    """A WordPiece tokenizer trained on ``texts`` (cased unless ``lowercase``) and a random BERT
    encoder, saved to ``out``."""
    import torch
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=lowercase)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.train_from_iterator(
        texts, trainers.WordPieceTrainer(vocab_size=500, special_tokens=specials)
    )
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", cls), ("[SEP]", sep)],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=512,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=128,
    )
    out.mkdir(parents=True, exist_ok=True)
    BertModel(config).save_pretrained(out)
    fast.save_pretrained(out)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["sample", "model"])
    parser.add_argument("--data", type=Path, default=Path("data/sample.csv"))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--rows", type=int, default=400)
    args = parser.parse_args()
    if args.what == "sample":
        print(f"wrote {write_sample(args.out or args.data, args.rows)}")
    else:
        texts = [row["text"] for row in csv.DictReader(args.data.open(encoding="utf-8"))]
        out = tiny_model(texts, args.out or Path("artifacts/tiny-bert"))
        print(f"wrote a random tiny BERT and its tokenizer to {out} (use: train --model {out})")

"""Training batches for each process: from the decoded arrays in memory, or streamed from shards.

Both give every process the same number of steps an epoch (DistributedDataParallel needs it) and
depend only on the seed and the epoch, so a resumed run sees the batches an uninterrupted one
would. Streaming (``StreamedBatches``): each epoch the shards are put in a seeded order, and the
records of each shard too; rank ``r`` of ``w`` takes the ``r``-th of ``w`` contiguous, equal (to
one record) parts of that order, so it reads whole shards but for the two at its edges; every
record is used exactly once an epoch across the ranks. Its images are decoded as needed, one
batch ahead, on a thread pool: memory holds a few batches, not the dataset.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import torch

from .dataset import Dataset
from .preprocess import load_array
from .settings import TrainConfig
from .shards import Record, ShardIndex, load_shards

Batch = tuple[torch.Tensor, torch.Tensor]  # uint8 N x C x H x W, int64 labels (on the device)


class MemoryBatches:
    """Batches of the whole training set held on the device (the default for image folders)."""

    def __init__(
        self,
        images: np.ndarray,
        labels: np.ndarray,
        batch_size: int,
        rank: int,
        world: int,
        seed: int,
        device: torch.device,
    ) -> None:
        self.images = torch.from_numpy(images).to(device)
        self.labels = torch.from_numpy(labels).to(device)
        self.batch, self.rank, self.world, self.seed = batch_size, rank, world, seed
        self.n_local = len(labels) // world  # the last len % world of an epoch's order are unused
        self.steps = max(1, math.ceil(self.n_local / batch_size))
        self.seen = self.n_local * world

    def epoch(self, epoch: int) -> Iterator[Batch]:
        generator = torch.Generator().manual_seed(self.seed * 7919 + epoch)
        order = torch.randperm(len(self.labels), generator=generator)
        order = order[: self.seen][self.rank :: self.world].to(self.labels.device)
        for step in range(self.steps):
            idx = order[step * self.batch : (step + 1) * self.batch]
            yield self.images[idx], self.labels[idx]


def epoch_order(records: Sequence[Record], seed: int, epoch: int) -> np.ndarray:
    """Record numbers of one epoch: shards in a seeded order, each one's records shuffled."""
    rng = np.random.default_rng([seed, epoch])
    by_shard: dict[str, list[int]] = {}
    for i, record in enumerate(records):
        by_shard.setdefault(record.shard, []).append(i)
    shards = sorted(by_shard)
    return np.concatenate(
        [rng.permutation(by_shard[shards[s]]) for s in rng.permutation(len(shards))]
    ).astype(np.int64)


def rank_part(order: np.ndarray, rank: int, world: int) -> np.ndarray:
    """The ``rank``-th of ``world`` contiguous parts of an epoch (sizes differ by at most one)."""
    return np.array_split(order, world)[rank]


class StreamedBatches:
    """This rank's batches of a split, read from the shards and decoded one batch ahead."""

    def __init__(
        self,
        index: ShardIndex,
        split: str,
        *,
        size: int,
        channels: int,
        fit: str,
        batch_size: int,
        rank: int = 0,
        world: int = 1,
        seed: int = 0,
        device: torch.device | str = "cpu",
        workers: int | None = None,
    ) -> None:
        self.index, self.records = index, index.records.get(split, [])
        if len(self.records) < world:
            raise ValueError(f"{len(self.records)} {split} records for {world} processes")
        self.size, self.channels, self.fit = size, channels, fit
        self.rank, self.world, self.seed, self.device = rank, world, seed, torch.device(device)
        self.workers = workers or min(8, os.cpu_count() or 1)
        self.steps = max(1, math.ceil(math.ceil(len(self.records) / world) / batch_size))
        self.seen = len(self.records)

    def plan(self, epoch: int) -> list[np.ndarray]:
        """The record numbers of each of this rank's ``steps`` batches in ``epoch``."""
        part = rank_part(epoch_order(self.records, self.seed, epoch), self.rank, self.world)
        return np.array_split(part, self.steps)

    def epoch(self, epoch: int) -> Iterator[Batch]:
        yield from self._decoded(self.plan(epoch))

    def in_order(self, batch_size: int) -> Iterator[Batch]:
        """All records of the split in their stored order (for validation), on one process."""
        order = np.arange(len(self.records))
        yield from self._decoded(
            [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
        )

    def labels(self) -> np.ndarray:
        return np.asarray([r.label for r in self.records], dtype=np.int64)

    def _decode(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        records = [self.records[i] for i in idx]
        raws = self.index.read(records)
        images = [load_array(raw, self.size, self.channels, self.fit) for raw in raws]
        labels = np.asarray([r.label for r in records], dtype=np.int64)
        return np.stack(images), labels

    def _decoded(self, batches: list[np.ndarray]) -> Iterator[Batch]:
        """Decode each batch in parts on the pool, the next batch while this one is used."""
        with ThreadPoolExecutor(self.workers) as pool:

            def submit(idx: np.ndarray) -> list[Future]:
                parts = np.array_split(idx, max(1, min(self.workers, len(idx))))
                return [pool.submit(self._decode, part) for part in parts]

            ahead: deque[list[Future]] = deque()
            for idx in batches:
                ahead.append(submit(idx))
                if len(ahead) > 1:
                    yield self._collect(ahead.popleft())
            while ahead:
                yield self._collect(ahead.popleft())

    def _collect(self, futures: list[Future]) -> Batch:
        parts = [future.result() for future in futures]
        images = np.concatenate([images for images, _ in parts])
        labels = np.concatenate([labels for _, labels in parts])
        return torch.from_numpy(images).to(self.device), torch.from_numpy(labels).to(self.device)


def training_batches(
    dataset: Dataset, cfg: TrainConfig, rank: int, world: int, device: torch.device
) -> tuple[MemoryBatches | StreamedBatches, Any, np.ndarray]:
    """This process's training batches, and the validation images (an array, or a streamed
    split: see inference.predict_logits) with their labels."""
    local_batch = max(1, cfg.batch_size // world)
    if dataset.index is None:
        train_x, train_y = dataset.split("train")
        val_x, val_y = dataset.split("val")
        return (
            MemoryBatches(train_x, train_y, local_batch, rank, world, cfg.seed, device),
            val_x,
            val_y,
        )

    def streamed(split: str, **kw: Any) -> StreamedBatches:
        return StreamedBatches(
            dataset.index, split, size=dataset.image_size, channels=dataset.channels,
            fit=cfg.fit, batch_size=local_batch, seed=cfg.seed, device=device, **kw,
        )  # fmt: skip

    val = streamed("val") if dataset.index.records.get("val") else None
    val_y = val.labels() if val else np.zeros(0, np.int64)
    return streamed("train", rank=rank, world=world), val, val_y


def statistics_sample(dataset: Dataset, fit: str, limit: int = 2000) -> np.ndarray:
    """Training images to take the channel statistics from: all in memory, or a decoded sample."""
    if dataset.index is None:
        return dataset.split("train")[0]
    sample = load_shards(
        dataset.index.root, image_size=dataset.image_size, channels=dataset.channels,
        only=("train",), fit=fit, limits={"train": limit},
    )  # fmt: skip
    return sample.split("train")[0]

"""Length-bucketed batches: near-equal lengths in each batch, so dynamic padding pads almost nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class LengthBucketSampler(Sampler[int]):
    """Sort examples by length (random tie-break), cut into batches, shuffle the order of the batches.

    Yields indices batch after batch, so a DataLoader with the same ``batch_size`` gets one bucket per
    batch. Each epoch (``set_epoch``, called by the Trainer) draws new tie-breaks and a new batch order,
    seeded, so a resumed run replays the same epochs.

    Args:
        lengths: Token count of each example.
        batch_size: Examples per batch (per device, before gradient accumulation).
        seed: Seed of the tie-breaks and the batch order.
    """

    def __init__(self, lengths: Sequence[int], batch_size: int, seed: int) -> None:
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose order ``__iter__`` yields."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng((self.seed, self.epoch))
        order = np.lexsort((rng.random(len(self.lengths)), self.lengths))
        full = len(order) // self.batch_size * self.batch_size
        # Whole batches in random order; a short remainder last, so every DataLoader batch is one bucket.
        for start in rng.permutation(np.arange(0, full, self.batch_size)):
            yield from order[start : start + self.batch_size].tolist()
        yield from order[full:].tolist()

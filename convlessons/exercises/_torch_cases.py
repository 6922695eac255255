"""Torch settings for checkers that build models or run a learner's torch code.

Checkers draw fresh random cases, so they must neither change the learner's random state
nor be slowed down by torch's thread pool on tiny tensors.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch

__all__ = ["one_thread", "torch_seeded"]


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one thread for a block: the cases are tiny, and on a busy machine the
    threads of a pool waiting for each other make a tiny op many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@contextmanager
def torch_seeded(seed: int) -> Iterator[None]:
    """Seed torch's global RNG for a block and give the caller's state back afterwards
    (``torch.random.fork_rng``), so a check never changes the learner's later draws."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield

"""One torch thread for the duration of a block.

The networks here are small: a forward pass is a few hundred microseconds of tiny kernels, where
torch's intra-op threads only add synchronisation, and where two processes each running two
threads on two cores spend most of their time waiting for each other. One thread also makes
training results independent of the machine's core count.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def single_torch_thread() -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(1)``, then restore the previous count."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)

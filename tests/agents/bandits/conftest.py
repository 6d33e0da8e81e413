"""Fixtures the bandit-agent tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def one_torch_thread() -> Iterator[None]:
    # Tiny networks gain nothing from intra-op threads, and on a small shared machine the
    # threads contend and can make each step several times slower.
    torch = pytest.importorskip("torch")
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

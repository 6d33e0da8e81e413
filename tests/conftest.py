"""Fixtures shared across the test folders."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def untrained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An untrained dispatching network: for tests of the plumbing, not of the rule's quality."""
    import torch

    from decisiongym.agents.jobshop.network import DispatchNetwork

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("network") / "untrained.pt"
    DispatchNetwork().save(path)
    return path

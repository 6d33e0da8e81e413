"""Statistics the benchmark tables of several families share."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def mean_interval(values: Sequence[float] | np.ndarray) -> tuple[float, float]:
    """Mean and half-width of its 95 % normal interval (0 for a single value)."""
    x = np.asarray(values, dtype=np.float64)
    if x.size < 2:
        return float(x.mean()) if x.size else float("nan"), 0.0
    return float(x.mean()), float(1.96 * x.std(ddof=1) / np.sqrt(x.size))

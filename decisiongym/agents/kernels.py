"""Dense layers as numba loops, for the compiled forward passes of small networks.

The networks here have layers of 16 to 64 units applied to a few dozen rows at a time: a BLAS
call (or a torch operator) on matrices that small costs more in dispatch overhead and thread
hand-offs than the arithmetic, so the layers are written out and compiled into the caller's
kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath=True)
def dense(x, w, b, relu):
    """``x @ w.T + b`` over the rows of ``x`` (float32), then ReLU when ``relu``."""
    rows, n_in = x.shape
    n_out = w.shape[0]
    y = np.empty((rows, n_out), np.float32)
    for r in range(rows):
        for o in range(n_out):
            total = b[o]
            for i in range(n_in):
                total += x[r, i] * w[o, i]
            y[r, o] = max(total, np.float32(0.0)) if relu else total
    return y


@njit(cache=True)
def mlp(x, w1, b1, w2, b2):
    """A one-hidden-layer ReLU network, torch's ``Sequential(Linear, ReLU, Linear)``."""
    return dense(dense(x, w1, b1, True), w2, b2, False)

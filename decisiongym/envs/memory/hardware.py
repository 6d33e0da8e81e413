"""The chip a memory mapping runs on: a small fast memory, a large slow one, compute, and an
asynchronous copy engine between the two memories.

Units: sizes and capacities in bytes, bandwidths in bytes per second, compute in FLOP per
second; every time the family reports is in microseconds.

The two presets carry public figures where the vendor published them and say where a figure is
our own assumption:

* ``tpu-like``: Google's TPUv4i (Jouppi et al., "Ten Lessons From Three Generations Shaped
  Google's TPUv4i", ISCA 2021): 138 TFLOP/s bf16 peak, HBM2 at 614 GB/s, a 128 MiB on-chip
  common memory (CMEM) as the fast memory. The paper gives no CMEM bandwidth figure we could
  confirm, so the fast bandwidth is assumed at 4x HBM.
* ``gpu-like``: NVIDIA's A100 40 GB (NVIDIA A100 Tensor Core GPU Architecture whitepaper,
  2020): 312 TFLOP/s bf16 dense tensor-core peak, HBM2 at 1,555 GB/s, the 40 MB L2 cache used
  as a scratchpad, read at 5,120 bytes per clock at the 1,410 MHz boost clock (7.2 TB/s).

In both, the copy engine moves data at the HBM bandwidth (a DMA reads the slow memory), and the
limit of outstanding copies (8) and the alignment are our own choices, not vendor figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.problem import MAX_VALUE

MICROSECONDS_PER_SECOND = 1e6


def _positive_number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"must be a number, got {value!r}", field=field)
    number = float(value)
    if not math.isfinite(number) or number <= 0:
        raise InputError(f"must be a finite number > 0, got {value!r}", field=field)
    return number


def _positive_integer(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f"must be an integer, got {value!r}", field=field)
    if not 1 <= value <= MAX_VALUE:
        raise InputError(f"must be between 1 and 2**62, got {value}", field=field)
    return value


@dataclass(frozen=True)
class Hardware:
    """Two memories, compute and a copy engine, with the units of the module docstring.

    :param name: the chip's name, for tables.
    :param fast_capacity: bytes of fast memory.
    :param alignment: every fast-memory offset is a multiple of it (bytes).
    :param fast_bandwidth: bytes per second an operation reads or writes in fast memory.
    :param slow_bandwidth: bytes per second an operation reads or writes in slow memory.
    :param compute: FLOP per second.
    :param copy_bandwidth: bytes per second the asynchronous copy engine moves.
    :param max_outstanding_copies: the most copies issued and not yet waited for at one time.
    """

    name: str
    fast_capacity: int
    alignment: int
    fast_bandwidth: float
    slow_bandwidth: float
    compute: float
    copy_bandwidth: float
    max_outstanding_copies: int

    def __post_init__(self) -> None:
        _positive_integer(self.fast_capacity, "fast_capacity")
        _positive_integer(self.alignment, "alignment")
        _positive_integer(self.max_outstanding_copies, "max_outstanding_copies")
        for field in ("fast_bandwidth", "slow_bandwidth", "compute", "copy_bandwidth"):
            object.__setattr__(self, field, _positive_number(getattr(self, field), field))

    def with_capacity(self, capacity: int | float, peak_live_bytes: int | None = None
                      ) -> Hardware:
        """The same chip with another fast-memory capacity.

        :param capacity: bytes (an integer), or a fraction in ``(0, 1]`` of ``peak_live_bytes``
            (a float), rounded down to the alignment.
        :param peak_live_bytes: the program's peak live bytes, needed for a fraction.
        :raises InputError: for a capacity that is neither.
        """
        if isinstance(capacity, float):
            if not 0 < capacity <= 1:
                raise InputError(f"a fraction of the peak live bytes is in (0, 1], got "
                                 f"{capacity}", field="capacity")
            if peak_live_bytes is None:
                raise InputError("a fractional capacity needs the program's peak live bytes",
                                 field="capacity")
            scaled = int(capacity * peak_live_bytes) // self.alignment * self.alignment
            return replace(self, fast_capacity=max(scaled, self.alignment))
        return replace(self, fast_capacity=_positive_integer(capacity, "capacity"))


HARDWARE_PRESETS: dict[str, Hardware] = {
    "tpu-like": Hardware(name="tpu-like", fast_capacity=128 * 2**20, alignment=512,
                         fast_bandwidth=4 * 614e9, slow_bandwidth=614e9, compute=138e12,
                         copy_bandwidth=614e9, max_outstanding_copies=8),
    "gpu-like": Hardware(name="gpu-like", fast_capacity=40 * 10**6, alignment=256,
                         fast_bandwidth=5120 * 1.41e9, slow_bandwidth=1555e9, compute=312e12,
                         copy_bandwidth=1555e9, max_outstanding_copies=8),
}
"""The named chips, see the module docstring for their sources."""


def hardware_preset(name: str) -> Hardware:
    """The preset called ``name`` (``"tpu-like"`` or ``"gpu-like"``).

    :raises InputError: for an unknown name, listing the known ones.
    """
    if name not in HARDWARE_PRESETS:
        raise InputError(f"unknown hardware {name!r}; choose one of "
                         f"{', '.join(sorted(HARDWARE_PRESETS))}", field="hardware")
    return HARDWARE_PRESETS[name]

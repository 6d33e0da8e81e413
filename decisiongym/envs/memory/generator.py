"""Seeded random allocation problems: ML-shaped synthetic programs and tight strips.

Two generators, both objects in the house style (``generator(rng)`` draws with the given numpy
generator only, ``generator.sample(seed)`` from a fresh one), both returning an
:class:`~decisiongym.envs.memory.problem.AllocationProblem`:

* :class:`SyntheticAllocationGenerator` draws buffers shaped like a traced ML program: many
  short-lived activations, a few long-lived buffers (weights, skip connections, optimizer
  state) and sizes spread over several orders of magnitude, all multiples of the alignment.
* :class:`TightAllocationGenerator` cuts a full rectangle, time horizon x capacity, into
  rectangles and shuffles them into buffers: the cut itself is an allocation with peak exactly
  the capacity and the live bytes reach the capacity (at every step, or at one peak step when
  some pieces are left out as holes), so the optimum is known (the capacity) and one unit less
  is infeasible. This is the style of MiniMalloc's challenging set, where the
  live bytes reach the capacity.
"""

from __future__ import annotations

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.memory.problem import MAX_VALUE, AllocationProblem

__all__ = ["SyntheticAllocationGenerator", "TightAllocationGenerator", "synthetic_problem",
           "tight_problem"]


def _positive_int(value: object, field: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InputError(f"must be an integer, got {value!r}", field=field)
    if not low <= int(value) <= MAX_VALUE:
        raise InputError(f"must be between {low} and 2**62, got {value}", field=field)
    return int(value)


def _fraction(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"must be a number, got {value!r}", field=field)
    if not 0.0 <= float(value) <= 1.0:
        raise InputError(f"must be between 0 and 1, got {value}", field=field)
    return float(value)


def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InputError(f"expected a numpy.random.Generator, got {type(rng).__name__}; use "
                         "sample(seed) for an integer seed", field="rng")
    return rng


class SyntheticAllocationGenerator:
    """Buffers shaped like a scheduled ML program.

    Time runs over ``horizon = 2 * n_buffers`` steps. A fraction ``long_lived`` of the buffers
    live long (from a start in the first half to an end in the second half, like weights kept
    for the backward pass or skip connections); the others are activations born at a uniform
    step and dying after a geometric number of steps (mean 3), as an operation's output is
    usually read by the next few operations. Sizes are ``alignment * 2**e`` with ``e``
    uniform in ``[0, size_exponents)`` times a uniform factor in ``[1, 4)``, so a few buffers
    dwarf the rest, as in real programs.

    The capacity is the problem's max live bytes rounded up to the alignment (the lower bound
    on any peak), times ``capacity_factor``; whether a packing fits at that capacity is not
    known in advance.

    :param n_buffers: buffers per problem (>= 1).
    :param alignment: offsets and sizes are multiples of it.
    :param long_lived: the fraction of long-lived buffers, in ``[0, 1]``.
    :param size_exponents: the sizes span ``2**size_exponents`` alignment units (>= 1).
    :param capacity_factor: the capacity as a multiple of the max live bytes (>= 1).
    """

    def __init__(self, n_buffers: int = 200, alignment: int = 64, long_lived: float = 0.1,
                 size_exponents: int = 8, capacity_factor: float = 1.0) -> None:
        self.n_buffers = _positive_int(n_buffers, "n_buffers")
        self.alignment = _positive_int(alignment, "alignment")
        self.long_lived = _fraction(long_lived, "long_lived")
        self.size_exponents = _positive_int(size_exponents, "size_exponents")
        if self.size_exponents > 40:
            raise InputError(f"must be at most 40, got {size_exponents}", field="size_exponents")
        if isinstance(capacity_factor, bool) or not isinstance(capacity_factor, (int, float)) \
                or not 1.0 <= float(capacity_factor) <= 1e6:
            raise InputError(f"must be a number between 1 and 1e6, got {capacity_factor!r}",
                             field="capacity_factor")
        self.capacity_factor = float(capacity_factor)

    def __call__(self, rng: np.random.Generator) -> AllocationProblem:
        """Draw one problem with ``rng`` only.

        :param rng: the random source.
        :return: the problem, named ``synthetic-<n>``.
        """
        rng = _check_rng(rng)
        n = self.n_buffers
        horizon = 2 * n
        is_long = rng.random(n) < self.long_lived
        lower = rng.integers(0, horizon, size=n)
        length = rng.geometric(1.0 / 3.0, size=n)
        long_lower = rng.integers(0, max(1, horizon // 2), size=n)
        long_upper = rng.integers(horizon // 2 + 1, horizon + 1, size=n)
        lower = np.where(is_long, long_lower, lower)
        upper = np.where(is_long, long_upper, np.minimum(lower + length, horizon + 1))
        exponent = rng.integers(0, self.size_exponents, size=n)
        factor = rng.uniform(1.0, 4.0, size=n)
        units = np.maximum(1, np.floor(factor * 2.0 ** exponent)).astype(np.int64)
        size = units * self.alignment
        draft = AllocationProblem(lower, upper, size, 1, alignment=self.alignment)
        max_live = draft.max_live()
        capacity = int(np.ceil(max_live * self.capacity_factor / self.alignment)) * self.alignment
        return AllocationProblem(lower, upper, size, max(capacity, self.alignment),
                                 alignment=self.alignment, name=f"synthetic-{n}")

    def sample(self, seed: int) -> AllocationProblem:
        """Draw one problem from a fresh generator seeded with ``seed``."""
        return self(np.random.default_rng(seed))

    def __repr__(self) -> str:
        return (f"SyntheticAllocationGenerator(n_buffers={self.n_buffers}, "
                f"alignment={self.alignment}, long_lived={self.long_lived}, "
                f"size_exponents={self.size_exponents}, "
                f"capacity_factor={self.capacity_factor})")


def _guillotine(rect: tuple[int, int, int, int], rng: np.random.Generator,
                alignment: int) -> list[tuple[int, int, int, int]] | None:
    """Cut ``(t0, t1, y0, y1)`` in two along time or along addresses; ``None`` when too small."""
    t0, t1, y0, y1 = rect
    can_time = t1 - t0 >= 2
    can_space = (y1 - y0) // alignment >= 2
    if not (can_time or can_space):
        return None
    if can_time and (not can_space or rng.random() < 0.5):
        t = int(rng.integers(t0 + 1, t1))
        return [(t0, t, y0, y1), (t, t1, y0, y1)]
    y = y0 + alignment * int(rng.integers(1, (y1 - y0) // alignment))
    return [(t0, t1, y0, y), (t0, t1, y, y1)]


def _pinwheel(rect: tuple[int, int, int, int], rng: np.random.Generator,
              alignment: int) -> list[tuple[int, int, int, int]] | None:
    """Cut into the five-piece pinwheel (four rectangles turning around a centre one), the
    smallest tiling that no sequence of straight cuts produces; ``None`` when too small."""
    t0, t1, y0, y1 = rect
    units = (y1 - y0) // alignment
    if t1 - t0 < 3 or units < 3:
        return None
    ta, tb = np.sort(rng.choice(np.arange(t0 + 1, t1), size=2, replace=False))
    ua, ub = np.sort(rng.choice(np.arange(1, units), size=2, replace=False))
    ya, yb = y0 + alignment * int(ua), y0 + alignment * int(ub)
    ta, tb = int(ta), int(tb)
    return [(t0, tb, y0, ya), (tb, t1, y0, yb), (ta, t1, yb, y1), (t0, ta, ya, y1),
            (ta, tb, ya, yb)]


class TightAllocationGenerator:
    """A full strip cut into buffers: the optimum peak is exactly the capacity.

    The strip ``[0, horizon) x [0, capacity)`` is cut again and again: a rectangle is drawn with
    probability proportional to its area and either cut straight in two (along time or along
    addresses, at a uniform position; addresses at multiples of the alignment) or, with
    probability ``pinwheel``, cut into a five-piece pinwheel, which no sequence of straight cuts
    can produce, so the instance is not solved by undoing guillotine cuts. Each rectangle
    ``[t0, t1) x [y0, y1)`` becomes a buffer live on ``[t0, t1)`` of size ``y1 - y0``, and the
    buffers are shuffled, so their order says nothing about the cut.

    Known optimum: the live bytes equal the capacity at every time step of the horizon (the
    rectangles tile the strip), so the max live bytes, and hence the least possible peak, is
    exactly ``capacity``, and the cut itself reaches it. At ``capacity - 1`` no packing exists.

    With ``holes > 0`` a fraction of the pieces is removed after cutting (the strip is cut into
    more pieces first, so ``n_buffers`` remain), never one live at a randomly drawn peak step:
    the live bytes still reach the capacity there, so the optimum is still exactly the
    capacity, while the other steps have slack, as in real programs whose memory peaks once.

    :param n_buffers: buffers per problem (>= 1); the strip must be large enough to cut that
        often (``horizon * capacity / alignment >= n_buffers``), else :class:`InputError`.
    :param capacity: the strip's height, a multiple of ``alignment``.
    :param horizon: the strip's length in time steps; ``4 * n_buffers`` when ``None``.
    :param alignment: cut positions along addresses are multiples of it.
    :param pinwheel: the probability that a cut is a pinwheel, in ``[0, 1]``.
    :param holes: the fraction of the pieces removed, in ``[0, 1)`` (0: the full strip).
    """

    def __init__(self, n_buffers: int = 200, capacity: int = 2**20, horizon: int | None = None,
                 alignment: int = 1024, pinwheel: float = 0.2, holes: float = 0.0) -> None:
        self.n_buffers = _positive_int(n_buffers, "n_buffers")
        self.alignment = _positive_int(alignment, "alignment")
        self.capacity = _positive_int(capacity, "capacity")
        if self.capacity % self.alignment:
            raise InputError(f"{capacity} is not a multiple of the alignment {alignment}",
                             field="capacity")
        self.horizon = _positive_int(4 * self.n_buffers if horizon is None else horizon,
                                     "horizon")
        self.pinwheel = _fraction(pinwheel, "pinwheel")
        self.holes = _fraction(holes, "holes")
        if self.holes >= 1.0:
            raise InputError(f"must be below 1, got {holes}", field="holes")
        if self.horizon * (self.capacity // self.alignment) < self.n_buffers:
            raise InputError(f"a strip of {self.horizon} steps x {self.capacity // self.alignment}"
                             f" aligned units cannot be cut into {self.n_buffers} buffers",
                             field="n_buffers")

    def __call__(self, rng: np.random.Generator) -> AllocationProblem:
        """Draw one problem with ``rng`` only.

        :param rng: the random source.
        :return: the problem at capacity ``capacity``, named ``tight-<n>``.
        """
        rng = _check_rng(rng)
        n_holes = int(round(self.holes * self.n_buffers / (1.0 - self.holes)))
        wanted = self.n_buffers + n_holes
        pieces = [(0, self.horizon, 0, self.capacity)]
        stuck: list[tuple[int, int, int, int]] = []
        while len(pieces) + len(stuck) < wanted:
            if not pieces:
                raise InputError("the strip ran out of rectangles large enough to cut; use a "
                                 "longer horizon or a larger capacity", field="n_buffers")
            area = np.array([(t1 - t0) * ((y1 - y0) / self.alignment)
                             for t0, t1, y0, y1 in pieces])
            k = int(rng.choice(len(pieces), p=area / area.sum()))
            rect = pieces.pop(k)
            # A pinwheel turns one piece into five: it must not overshoot the count.
            room = wanted - (len(pieces) + len(stuck) + 1)
            cut = None
            if room >= 4 and rng.random() < self.pinwheel:
                cut = _pinwheel(rect, rng, self.alignment)
            if cut is None:
                cut = _guillotine(rect, rng, self.alignment)
            if cut is None:
                stuck.append(rect)
            else:
                pieces.extend(cut)
        rects = np.array(pieces + stuck, dtype=np.int64)
        if n_holes:
            # Holes anywhere but across one peak step, where the strip stays full.
            peak_step = int(rng.integers(0, self.horizon))
            removable = np.flatnonzero((rects[:, 0] > peak_step) | (rects[:, 1] <= peak_step))
            if removable.size < n_holes:
                raise InputError(f"only {removable.size} pieces lie off the peak step, fewer "
                                 f"than the {n_holes} holes asked for; use fewer holes",
                                 field="holes")
            gone = rng.choice(removable, size=n_holes, replace=False)
            rects = np.delete(rects, gone, axis=0)
        rects = rects[rng.permutation(len(rects))]
        return AllocationProblem(rects[:, 0], rects[:, 1], rects[:, 3] - rects[:, 2],
                                 self.capacity, alignment=self.alignment,
                                 name=f"tight-{self.n_buffers}")

    def sample(self, seed: int) -> AllocationProblem:
        """Draw one problem from a fresh generator seeded with ``seed``."""
        return self(np.random.default_rng(seed))

    def __repr__(self) -> str:
        return (f"TightAllocationGenerator(n_buffers={self.n_buffers}, "
                f"capacity={self.capacity}, horizon={self.horizon}, "
                f"alignment={self.alignment}, pinwheel={self.pinwheel}, holes={self.holes})")


def synthetic_problem(n_buffers: int, seed: int, **options: object) -> AllocationProblem:
    """One ML-shaped problem: :class:`SyntheticAllocationGenerator` ``(n_buffers, **options)``
    sampled with ``seed``."""
    return SyntheticAllocationGenerator(n_buffers, **options).sample(seed)  # type: ignore[arg-type]


def tight_problem(n_buffers: int, seed: int, **options: object) -> AllocationProblem:
    """One problem of known optimum: :class:`TightAllocationGenerator` ``(n_buffers,
    **options)`` sampled with ``seed``."""
    return TightAllocationGenerator(n_buffers, **options).sample(seed)  # type: ignore[arg-type]

"""Seeded random job-shop instances."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from decisiongym.envs.jobshop.instance import JobShopInstance

__all__ = ["RandomInstanceGenerator"]


def _as_range(value: int | tuple[int, int] | Sequence[int], label: str) -> tuple[int, int]:
    """An int or an inclusive ``(low, high)`` pair, checked to be >= 1 and ordered."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        low = high = int(value)
    elif (
        isinstance(value, Sequence)
        and not isinstance(value, str)
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        low, high = int(value[0]), int(value[1])
    else:
        raise ValueError(
            f"{label} must be an int or an inclusive (low, high) pair, found {value!r}"
        )
    if low < 1:
        raise ValueError(f"{label} must be >= 1, found {value!r}")
    if low > high:
        raise ValueError(f"{label} range must have low <= high, found {value!r}")
    return low, high


class RandomInstanceGenerator:
    """Taillard-style random instances: uniform integer durations, random permutation routes.

    Every generated job visits every machine once (``n_ops == n_machines``). The intended sizes
    run from 6x6 to 100x20, but any size >= 1 is allowed.

    :param n_jobs: number of jobs, an int or an inclusive ``(low, high)`` range.
    :param n_machines: number of machines, an int or an inclusive ``(low, high)`` range.
    :param duration: inclusive ``(low, high)`` range of durations (or one int), low >= 1.
    :param name_prefix: first part of the generated names.
    """

    def __init__(
        self,
        n_jobs: int | tuple[int, int] = (6, 20),
        n_machines: int | tuple[int, int] = (6, 15),
        duration: int | tuple[int, int] = (1, 99),
        name_prefix: str = "random",
    ) -> None:
        self.n_jobs_range = _as_range(n_jobs, "n_jobs")
        self.n_machines_range = _as_range(n_machines, "n_machines")
        self.duration_range = _as_range(duration, "duration")
        if not isinstance(name_prefix, str):
            raise ValueError(f"name_prefix must be a string, found {name_prefix!r}")
        self.name_prefix = name_prefix
        self.max_jobs = self.n_jobs_range[1]
        self.max_machines = self.n_machines_range[1]

    def __call__(self, rng: np.random.Generator) -> JobShopInstance:
        """Draw one instance, using ``rng`` only.

        :param rng: the random source (for an environment, its ``np_random``).
        :return: the instance, named ``<prefix>-<n>x<m>-<8 hex digits of its data digest>``.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(
                f"expected a numpy.random.Generator, found {type(rng).__name__}; "
                "use sample(seed) for an integer seed"
            )
        n = int(rng.integers(self.n_jobs_range[0], self.n_jobs_range[1], endpoint=True))
        m = int(rng.integers(self.n_machines_range[0], self.n_machines_range[1], endpoint=True))
        low, high = self.duration_range
        durations = rng.integers(low, high, size=(n, m), endpoint=True, dtype=np.int64)
        machines = rng.permuted(np.tile(np.arange(m, dtype=np.int64), (n, 1)), axis=1)
        instance = JobShopInstance(machines, durations, n_machines=m)
        name = f"{self.name_prefix}-{n}x{m}-{instance.digest()[:8]}"
        return JobShopInstance(instance.machines, instance.durations, name=name, n_machines=m)

    def sample(self, seed: int) -> JobShopInstance:
        """Draw one instance from a fresh generator seeded with ``seed``.

        :param seed: the seed.
        :return: the instance.
        """
        return self(np.random.default_rng(seed))

    def __repr__(self) -> str:
        return (
            f"RandomInstanceGenerator(n_jobs={self.n_jobs_range}, "
            f"n_machines={self.n_machines_range}, duration={self.duration_range}, "
            f"name_prefix={self.name_prefix!r})"
        )

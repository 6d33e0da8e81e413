"""Tests of the seeded random job-shop instance generator."""

from __future__ import annotations

import re

import numpy as np
import pytest

from decisiongym.envs.jobshop.generator import RandomInstanceGenerator


def test_random_generator_reproducible() -> None:
    gen = RandomInstanceGenerator()
    a, b = gen.sample(7), gen.sample(7)
    assert a.same_data(b) and a.name == b.name
    c = gen(np.random.default_rng(7))
    assert c.same_data(a)
    assert not gen.sample(8).same_data(a)
    assert re.fullmatch(rf"random-{a.n_jobs}x{a.n_machines}-[0-9a-f]{{8}}", a.name)


def test_random_generator_sizes_and_routes() -> None:
    gen = RandomInstanceGenerator(n_jobs=(3, 5), n_machines=(2, 4), duration=(10, 20))
    assert (gen.max_jobs, gen.max_machines) == (5, 4)
    rng = np.random.default_rng(0)
    sizes = set()
    for _ in range(60):
        inst = gen(rng)
        sizes.add((inst.n_jobs, inst.n_machines))
        assert 3 <= inst.n_jobs <= 5 and 2 <= inst.n_machines <= 4
        assert inst.n_ops == inst.n_machines
        assert inst.durations.min() >= 10 and inst.durations.max() <= 20
        for route in inst.machines:
            assert sorted(route.tolist()) == list(range(inst.n_machines))
    assert len(sizes) > 4
    fixed = RandomInstanceGenerator(n_jobs=100, n_machines=20, name_prefix="big").sample(1)
    assert (fixed.n_jobs, fixed.n_machines) == (100, 20) and fixed.name.startswith("big-100x20-")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_jobs": (5, 3)},
        {"n_jobs": 0},
        {"n_machines": (0, 4)},
        {"n_machines": True},
        {"duration": (0, 10)},
        {"duration": (1, 2, 3)},
        {"n_jobs": "6"},
    ],
)
def test_random_generator_validation(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RandomInstanceGenerator(**kwargs)  # type: ignore[arg-type]


def test_random_generator_needs_generator() -> None:
    with pytest.raises(TypeError, match="sample"):
        RandomInstanceGenerator()(3)  # type: ignore[arg-type]

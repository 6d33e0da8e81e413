"""The learned dispatching rule through ``solve_jobshop``: valid schedules, best-of-N never
worse than greedy, the same seed the same answer, and its record's extras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from decisiongym.bench.jobshop.grid import solve_jobshop, solve_json
from decisiongym.envs.jobshop.catalog import load_instance
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import validate


@pytest.fixture(scope="module")
def checkpoint(untrained_checkpoint: Path) -> Path:
    return untrained_checkpoint


INSTANCES = {"ft06": lambda: load_instance("ft06"),
             "random-10x5": lambda: RandomInstanceGenerator(10, 5).sample(3)}


@pytest.fixture(params=sorted(INSTANCES))
def instance(request: pytest.FixtureRequest) -> JobShopInstance:
    return INSTANCES[request.param]()


@pytest.mark.parametrize("samples", [1, 4])
def test_learned_gives_a_valid_schedule(instance: JobShopInstance, checkpoint: Path,
                                        samples: int) -> None:
    record = solve_jobshop(instance, "learned", samples=samples, checkpoint=checkpoint,
                           workers=1)
    assert record.valid and record.status == "FEASIBLE"
    assert record.solution is not None
    assert validate(instance, record.solution) == record.objective
    assert (record.method, record.extra["scheme"], record.bound) == ("learned", "non-delay",
                                                                     None)
    assert record.extra["samples"] == samples
    assert record.extra["checkpoint"] == str(checkpoint)
    # greedy decoding is the temperature-0 rollout
    assert samples > 1 or record.extra["temperature"] == 0.0
    assert record.wall_s >= 0 and record.cpu_s >= 0


def test_best_of_n_is_never_worse_than_greedy(instance: JobShopInstance,
                                              checkpoint: Path) -> None:
    # rollout 0 of best-of-N is the greedy one, so the best of them cannot be longer
    greedy = solve_jobshop(instance, "learned", checkpoint=checkpoint, workers=1)
    best = solve_jobshop(instance, "learned", samples=4, checkpoint=checkpoint, workers=1)
    assert greedy.objective is not None and best.objective is not None
    assert best.objective <= greedy.objective


def test_the_same_seed_gives_the_same_schedule(checkpoint: Path) -> None:
    instance = RandomInstanceGenerator(10, 5).sample(3)
    runs = [solve_jobshop(instance, "learned", samples=4, seed=7, checkpoint=checkpoint,
                          workers=1) for _ in range(2)]
    assert runs[0].objective == runs[1].objective
    assert runs[0].extra["temperature"] == runs[1].extra["temperature"]
    assert runs[0].solution is not None and runs[1].solution is not None
    np.testing.assert_array_equal(runs[0].solution.start, runs[1].solution.start)


def test_json_record_has_the_common_fields_and_the_extras(checkpoint: Path) -> None:
    record = solve_json(solve_jobshop(load_instance("ft06"), "learned", samples=2,
                                      checkpoint=checkpoint, workers=1))
    assert {"instance", "method", "scheme", "makespan", "bound", "wall_s", "cpu_s", "valid",
            "status", "seed", "schedule", "samples", "temperature", "checkpoint"} <= set(record)
    assert len(record["schedule"]) == 36


def test_learned_restores_torch_threads(checkpoint: Path) -> None:
    before = torch.get_num_threads()
    solve_jobshop(load_instance("ft06"), "learned", checkpoint=checkpoint, workers=1)
    assert torch.get_num_threads() == before


def test_bad_samples_and_missing_checkpoint_raise(checkpoint: Path, tmp_path: Path) -> None:
    instance = load_instance("ft06")
    with pytest.raises(ValueError, match="samples must be >= 1"):
        solve_jobshop(instance, "learned", samples=0, checkpoint=checkpoint)
    with pytest.raises(FileNotFoundError, match="no-such.pt"):
        solve_jobshop(instance, "learned", checkpoint=tmp_path / "no-such.pt")

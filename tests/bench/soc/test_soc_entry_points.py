"""The SoC entry points of ``decisiongym solve soc`` and ``simulate soc``: one DAG by a static
method, and one stream whose mix means what it means to the env."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.soc.online import simulate
from decisiongym.bench.soc.simulate import mix_from_text, simulate_stream
from decisiongym.bench.soc.solve import dag_json, solve_dag
from decisiongym.envs.soc.builtin import default_platform, load_dag_problem
from decisiongym.envs.soc.env import resolve_mix
from decisiongym.envs.soc.workload import ds3_workload, poisson_workload


def test_mix_text_gives_normalised_pairs_or_ds3() -> None:
    assert mix_from_text("ds3") == "ds3"
    assert mix_from_text("wifi_tx:3, wifi_rx") == [("wifi_tx", 0.75), ("wifi_rx", 0.25)]
    assert mix_from_text("sc_tx") == [("sc_tx", 1.0)]
    with pytest.raises(ValueError):
        mix_from_text("sc_tx:heavy")


def test_ds3_stream_is_the_benchmarks_ds3_workload() -> None:
    record = simulate_stream("etf", rate_jobs_per_ms=5.0, n_jobs=200, noise=0.1, seed=4)
    workload = ds3_workload(5.0, 200, np.random.default_rng(4), noise="gaussian", sigma=0.1)
    expected = simulate(default_platform(), workload, "etf", seed=4, warmup_jobs=20)
    assert record.metrics == expected.metrics()
    assert (record.warmup_jobs, record.noise_model, record.mix) == (20, "gaussian", "ds3")


def test_weighted_stream_draws_from_the_resolved_mix() -> None:
    record = simulate_stream("met-soonest", mix="wifi_tx:3,range_detection", n_jobs=100, seed=2,
                             warmup_jobs=0)
    platform = default_platform()
    apps, probabilities = resolve_mix([("wifi_tx", 0.75), ("range_detection", 0.25)],
                                      platform)
    workload = poisson_workload(apps, probabilities, 2.0, 100, np.random.default_rng(2))
    assert record.metrics == simulate(platform, workload, "met-soonest", seed=2).metrics()
    assert record.as_json()["mix"] == "wifi_tx:3,range_detection"
    assert record.as_json()["noise_model"] == "none"


def test_unknown_names_are_value_errors() -> None:
    with pytest.raises(ValueError, match="'nope' is neither a built-in application"):
        simulate_stream("met-soonest", mix="nope", n_jobs=5)
    with pytest.raises(ValueError, match="'nope' is neither a built-in platform"):
        simulate_stream("met-soonest", platform="nope", n_jobs=5)
    with pytest.raises(ValueError, match="unknown online scheduler"):
        simulate_stream("fastest", n_jobs=5)


def test_solve_dag_validates_and_refuses_unknown_methods() -> None:
    problem = load_dag_problem("topcuoglu", "topcuoglu")
    record = solve_dag(problem, "heft")
    assert record.valid and record.objective == pytest.approx(80.0)
    assert record.bound is None and record.status == "FEASIBLE"
    printed = dag_json(problem, record)
    assert printed["dag"] == "topcuoglu" and len(printed["trace"]) == 10
    with pytest.raises(ValueError, match="unknown static method 'etf'"):
        solve_dag(problem, "etf")

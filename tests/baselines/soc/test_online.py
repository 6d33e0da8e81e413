"""Online schedulers on streams: every one valid on DS3's mix and on random instances, HEFT_RT
equal to static HEFT on one job, the critical-path bound, determinism and load."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import decisiongym.envs.soc as soc_package
from decisiongym.baselines.soc.list_scheduling import heft
from decisiongym.baselines.soc.online import (
    ONLINE_SCHEDULERS,
    heft_rt,
    scheduler_key,
    simulate,
)
from decisiongym.envs.soc.builtin import (
    DS3_APPLICATIONS,
    default_platform,
    load_application,
    topcuoglu_graph,
    topcuoglu_platform,
)
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.solution import validate
from decisiongym.envs.soc.workload import Workload, ds3_workload, fixed_workload, poisson_workload


@pytest.fixture(scope="module")
def platform() -> Platform:
    return default_platform()


@pytest.fixture(scope="module")
def ds3_stream() -> Workload:
    return ds3_workload(4.0, 200, np.random.default_rng(21), noise="gaussian", sigma=0.1)


def critical_path_bound(graph: TaskGraph, plat: Platform) -> float:
    """Longest path with every task at its least cost and free communication."""
    best = graph.cost_on(plat).min(axis=1)
    longest = np.zeros(graph.n_tasks)
    preds = graph.predecessors()
    for t in graph.topological_order.tolist():
        longest[t] = best[t] + max((longest[u] for u, _ in preds[t]), default=0.0)
    return float(longest.max())


def test_the_seven_schedulers_are_listed():
    assert set(ONLINE_SCHEDULERS) == {"met-soonest", "etf", "eft", "stf-soonest", "heft-rt",
                                      "random", "round-robin"}
    assert scheduler_key("HEFT_RT") == "heft-rt"
    with pytest.raises(ValueError, match="unknown online scheduler"):
        scheduler_key("cpop")


@pytest.mark.parametrize("scheduler", list(ONLINE_SCHEDULERS))
def test_every_scheduler_is_valid_on_the_ds3_stream(platform, ds3_stream, scheduler):
    result = simulate(platform, ds3_stream, scheduler)
    assert result.scheduler == scheduler
    assert result.completed_jobs == ds3_stream.n_jobs
    validate(platform, ds3_stream.applications, result.trace, ds3_stream.job_app,
             ds3_stream.arrival, durations=result.durations)
    assert np.isfinite(result.latency_mean_us) and result.energy_j > 0


@pytest.mark.parametrize("scheduler", list(ONLINE_SCHEDULERS))
@pytest.mark.parametrize("seed", [11, 12])
def test_every_scheduler_is_valid_on_random_instances(scheduler, seed):
    generator = RandomDAGGenerator(n_tasks=(6, 14), p_unsupported=0.3, ccr=1.0)
    rng = np.random.default_rng(seed)
    graphs = [generator(rng) for _ in range(3)]
    plat = random_platform(6, 3, seed, startup_latency=1.0)
    assert not all(np.all(np.isfinite(g.cost_on(plat))) for g in graphs)
    workload = poisson_workload(graphs, None, 0.1, 30, rng, noise="lognormal", sigma=0.3)
    result = simulate(plat, workload, scheduler, seed=seed)
    validate(plat, workload.applications, result.trace, workload.job_app, workload.arrival,
             durations=result.durations)


def one_job_cases() -> list[tuple[str, Platform, TaskGraph]]:
    ds3 = default_platform()
    cases = [(name, ds3, load_application(name)) for name in DS3_APPLICATIONS]
    cases.append(("topcuoglu", topcuoglu_platform(), topcuoglu_graph()))
    generator = RandomDAGGenerator(n_tasks=(10, 20), p_unsupported=0.25, ccr=2.0)
    for seed in range(3):
        cases.append((f"random{seed}", random_platform(4, 3, seed, startup_latency=0.5),
                      generator.sample(seed)))
    return cases


@pytest.mark.parametrize("name, plat, graph", one_job_cases(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_heft_rt_on_one_job_is_static_heft(name, plat, graph):
    result = simulate(plat, fixed_workload([graph]), "heft-rt")
    static = heft(graph, plat)
    np.testing.assert_array_equal(result.trace.pe, static.trace.pe)
    np.testing.assert_allclose(result.trace.start, static.trace.start, atol=1e-9)
    assert validate(plat, graph, result.trace) == pytest.approx(static.makespan)
    if name == "topcuoglu":
        assert static.makespan == pytest.approx(80.0)


@pytest.mark.parametrize("name, plat, graph", one_job_cases(), ids=lambda v: v
                         if isinstance(v, str) else "")
def test_one_job_makespans_respect_the_critical_path(name, plat, graph):
    bound = critical_path_bound(graph, plat)
    for scheduler in ("eft", "etf", "heft-rt"):
        result = simulate(plat, fixed_workload([graph]), scheduler)
        assert validate(plat, graph, result.trace) >= bound - 1e-9, (name, scheduler)


def test_heft_rt_is_deterministic_and_feels_the_noise(platform):
    def run(sigma: float) -> np.ndarray:
        workload = ds3_workload(8.0, 80, np.random.default_rng(5), noise="gaussian",
                                sigma=sigma)
        return simulate(platform, workload, "heft-rt").trace.pe

    np.testing.assert_array_equal(run(0.3), run(0.3))
    # noise moves finish times, and with them the later plans
    assert not np.array_equal(run(0.0), run(0.3))


def test_heft_rt_replans_at_every_arrival(platform, monkeypatch):
    import decisiongym.baselines.soc.online as online

    calls: list[int] = []
    original = online._replan

    def counting(simulator, by_type):
        calls.append(simulator.arrived_jobs)
        return original(simulator, by_type)

    monkeypatch.setattr(online, "_replan", counting)
    workload = ds3_workload(1.0, 30, np.random.default_rng(2))
    heft_rt(SoCSimulator(platform, workload))
    # arrivals 1 ms apart on average never coincide, so each job triggers one plan
    assert calls == list(range(1, 31))


@pytest.mark.parametrize("scheduler", ["met-soonest", "heft-rt"])
def test_latency_grows_with_the_injection_rate(platform, scheduler):
    def mean_latency(rate: float) -> float:
        return float(np.mean([
            simulate(platform, ds3_workload(rate, 150, np.random.default_rng(s)), scheduler,
                     warmup_jobs=30).latency_mean_us
            for s in range(3)
        ]))

    assert mean_latency(25.0) > 1.3 * mean_latency(2.0)


def test_warmup_and_horizon_pass_through(platform):
    workload = ds3_workload(30.0, 200, np.random.default_rng(3))
    result = simulate(platform, workload, "heft-rt", warmup_jobs=20, horizon_us=4000.0)
    assert result.stopped_at_horizon
    assert not result.measured[:20].any() and result.measured[20:].all()
    trace, durations, job_app, arrival = result.completed_view()
    validate(platform, workload.applications, trace, job_app, arrival, durations=durations)


def test_the_soc_environment_never_imports_a_baseline():
    package = Path(soc_package.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("decisiongym.baselines"), path.name
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("decisiongym.baselines") for a in node.names)

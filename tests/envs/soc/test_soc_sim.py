"""The SoC stream simulator: valid traces under every built-in rule, agreement with a plain-Python
twin, the noise models, warm-up, energy, the step-wise API and horizons."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.soc.builtin import (
    DS3_APPLICATIONS,
    default_platform,
    load_application,
)
from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.sim import RULES
from decisiongym.envs.soc.simulator import SoCSimulator, rule_code
from decisiongym.envs.soc.solution import validate
from decisiongym.envs.soc.workload import (
    DS3_JOB_PROBABILITIES,
    Workload,
    actual_duration,
    draw_multipliers,
    ds3_workload,
    fixed_workload,
    poisson_workload,
)


@pytest.fixture(scope="module")
def platform() -> Platform:
    return default_platform()


@pytest.fixture(scope="module")
def ds3_stream() -> Workload:
    return ds3_workload(4.0, 200, np.random.default_rng(7))


def random_stream(seed: int, n_jobs: int = 40, rate: float = 0.05, noise: str = "none",
                  sigma: float = 0.0) -> tuple[Platform, Workload]:
    """Three random DAGs where a PE type cannot run a task with probability 0.3, on a random
    5-PE platform with link startup latency."""
    generator = RandomDAGGenerator(n_tasks=(5, 12), p_unsupported=0.3, ccr=0.5)
    rng = np.random.default_rng(seed)
    graphs = [generator(rng) for _ in range(3)]
    plat = random_platform(5, 3, seed, startup_latency=0.5)
    return plat, poisson_workload(graphs, [0.5, 0.3, 0.2], rate, n_jobs, rng, noise=noise,
                                  sigma=sigma)


def cost_of_rows(plat: Platform, workload: Workload, job: np.ndarray, task: np.ndarray,
                 pe: np.ndarray) -> np.ndarray:
    tables = [g.cost_on(plat) for g in workload.applications]
    apps = workload.job_app[job]
    return np.array([tables[a][t, q] for a, t, q in zip(apps.tolist(), task.tolist(),
                                                        pe.tolist())])


def critical_path_bound(graph: TaskGraph, plat: Platform) -> float:
    """Longest path with every task at its least cost and free communication."""
    best = graph.cost_on(plat).min(axis=1)
    longest = np.zeros(graph.n_tasks)
    preds = graph.predecessors()
    for t in graph.topological_order.tolist():
        longest[t] = best[t] + max((longest[u] for u, _ in preds[t]), default=0.0)
    return float(longest.max())


# ---------------------------------------------------------------------------------------------
# a plain-Python twin of the kernel (no noise), written independently of its array layout


def twin_run(plat: Platform, workload: Workload, rule: str) -> dict[tuple[int, int], tuple]:
    """Event loop over dicts: the same model and rules as the kernel, for ``met-soonest``,
    ``etf`` and ``eft`` without noise. Returns ``(job, task) -> (pe, start, finish)``."""
    tables = [g.cost_on(plat) for g in workload.applications]
    preds = [g.predecessors() for g in workload.applications]
    succs = [g.successors() for g in workload.applications]
    graphs = workload.job_graphs()
    app = workload.job_app.tolist()
    n_pes = plat.n_pes
    busy = [0.0] * n_pes
    placed: dict[tuple[int, int], tuple] = {}
    running: dict[tuple[int, int], float] = {}
    waiting = {(j, t): len(preds[app[j]][t]) for j, g in enumerate(graphs)
               for t in range(g.n_tasks)}
    ready: list[tuple[int, int]] = []
    next_job = 0
    now = 0.0

    def row(key: tuple[int, int]) -> int:
        return int(workload.job_first[key[0]]) + key[1]

    def data_ready(key: tuple[int, int], q: int) -> float:
        j, t = key
        times = [0.0]
        for u, e in preds[app[j]][t]:
            pu, _, fu = placed[(j, u)]
            times.append(fu + plat.transfer_time(
                float(workload.applications[app[j]].volume[e]), pu, q))
        return max(times)

    def commit(key: tuple[int, int], q: int) -> None:
        dr = data_ready(key, q)
        start = max(now, busy[q], dr)
        finish = start + tables[app[key[0]]][key[1], q]
        busy[q] = finish
        placed[key] = (q, start, finish)
        running[key] = finish

    def finish_estimate(key: tuple[int, int], q: int) -> float:
        return max(now, busy[q], data_ready(key, q)) + tables[app[key[0]]][key[1], q]

    while True:
        times = list(running.values())
        if next_job < workload.n_jobs:
            times.append(float(workload.arrival[next_job]))
        if not times:
            break
        now = max(now, min(times))
        for key in sorted((k for k, f in running.items() if f <= now),
                          key=lambda k: (running[k], row(k))):
            del running[key]
            j, t = key
            for s, _ in succs[app[j]][t]:
                waiting[(j, s)] -= 1
                if waiting[(j, s)] == 0:
                    ready.append((j, s))
        while next_job < workload.n_jobs and workload.arrival[next_job] <= now:
            ready += [(next_job, t) for t in range(graphs[next_job].n_tasks)
                      if waiting[(next_job, t)] == 0]
            next_job += 1
        idle = [q for q in range(n_pes) if busy[q] <= now]
        if not any(np.isfinite(tables[app[j]][t, q]) for j, t in ready for q in idle):
            continue
        if rule == "etf":
            while ready:
                best = (np.inf, -1, -1)
                for k, key in enumerate(ready):
                    for q in range(n_pes):
                        if np.isfinite(tables[app[key[0]]][key[1], q]):
                            value = finish_estimate(key, q)
                            if value < best[0]:
                                best = (value, k, q)
                commit(ready.pop(best[1]), best[2])
        else:
            for key in ready:
                costs = tables[app[key[0]]][key[1]]
                if rule == "eft":
                    options = [(finish_estimate(key, q), q) for q in range(n_pes)
                               if np.isfinite(costs[q])]
                else:
                    options = [(max(busy[q], now), q) for q in range(n_pes)
                               if costs[q] == costs.min()]
                commit(key, min(options)[1])
            ready = []
    return placed


# ---------------------------------------------------------------------------------------------
# validity and determinism


@pytest.mark.parametrize("rule", list(RULES))
def test_every_rule_gives_a_valid_trace_on_the_ds3_stream(platform, ds3_stream, rule):
    result = SoCSimulator(platform, ds3_stream).run(rule)
    assert len(result.trace) == ds3_stream.n_rows
    assert result.completed_jobs == ds3_stream.n_jobs
    validate(platform, ds3_stream.applications, result.trace, ds3_stream.job_app,
             ds3_stream.arrival)
    assert np.all(result.completion >= result.arrival)
    assert result.latency_p95_us == pytest.approx(np.percentile(result.latency_us, 95))
    assert result.latency_p95_us > result.latency_mean_us > 0
    assert result.energy_j > 0 and 0 < result.mean_utilisation < 1


@pytest.mark.parametrize("rule", list(RULES))
@pytest.mark.parametrize("seed", [1, 2])
def test_every_rule_respects_infeasible_pairs_on_random_instances(rule, seed):
    plat, workload = random_stream(seed, noise="gaussian", sigma=0.3)
    tables = np.concatenate([g.cost_on(plat) for g in workload.applications])
    assert not np.all(np.isfinite(tables)), "the instance should have infeasible pairs"
    result = SoCSimulator(plat, workload).run(rule, seed=seed)
    validate(plat, workload.applications, result.trace, workload.job_app, workload.arrival,
             durations=result.durations)
    expected = actual_duration(cost_of_rows(plat, workload, result.trace.job, result.trace.task,
                                            result.trace.pe),
                               workload.multiplier[workload.job_first[result.trace.job]
                                                   + result.trace.task], "gaussian")
    np.testing.assert_allclose(result.durations, expected, rtol=1e-12, atol=1e-9)


def test_same_seed_same_result(platform):
    a = SoCSimulator(platform, ds3_workload(5.0, 100, np.random.default_rng(3),
                                            noise="lognormal", sigma=0.3))
    b = SoCSimulator(platform, ds3_workload(5.0, 100, np.random.default_rng(3),
                                            noise="lognormal", sigma=0.3))
    for rule in ("etf", "random"):
        ra, rb = a.run(rule, seed=11), b.run(rule, seed=11)
        for column in ("job", "task", "pe", "start", "finish"):
            np.testing.assert_array_equal(getattr(ra.trace, column), getattr(rb.trace, column))
        assert ra.metrics() == rb.metrics()
    # the random rule does follow its seed
    assert not np.array_equal(a.run("random", seed=1).trace.pe, a.run("random", seed=2).trace.pe)


def test_a_rerun_on_one_simulator_starts_from_scratch(platform, ds3_stream):
    sim = SoCSimulator(platform, ds3_stream)
    first = sim.run("eft")
    sim.run("met-soonest")
    again = sim.run("eft")
    np.testing.assert_array_equal(first.trace.start, again.trace.start)


@pytest.mark.parametrize("rule", ["etf", "eft", "met-soonest"])
@pytest.mark.parametrize("seed", [3, 4])
def test_kernel_matches_the_python_twin(rule, seed):
    plat, workload = random_stream(seed, n_jobs=25, rate=0.08)
    result = SoCSimulator(plat, workload).run(rule)
    twin = twin_run(plat, workload, rule)
    assert len(twin) == len(result.trace) == workload.n_rows
    for j, t, q, s, f in zip(result.trace.job.tolist(), result.trace.task.tolist(),
                             result.trace.pe.tolist(), result.trace.start.tolist(),
                             result.trace.finish.tolist()):
        tq, ts, tf = twin[(j, t)]
        assert q == tq, (j, t)
        assert s == pytest.approx(ts, abs=1e-9) and f == pytest.approx(tf, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# scheduler properties


def test_met_runs_each_task_on_its_fastest_type(platform, ds3_stream):
    result = SoCSimulator(platform, ds3_stream).run("met-soonest")
    used = cost_of_rows(platform, ds3_stream, result.trace.job, result.trace.task,
                        result.trace.pe)
    tables = [g.cost_on(platform) for g in ds3_stream.applications]
    fastest = np.array([tables[ds3_stream.job_app[j]][t].min()
                        for j, t in zip(result.trace.job.tolist(), result.trace.task.tolist())])
    np.testing.assert_array_equal(used, fastest)
    # not a vacuous check: the stream has tasks whose fastest PE is an accelerator
    assert np.any(platform.pe_type[result.trace.pe] >= 2)


@pytest.mark.parametrize("rule", ["etf", "eft"])
def test_one_job_never_beats_the_critical_path(platform, rule):
    graphs = [load_application(name) for name in DS3_APPLICATIONS]
    generator = RandomDAGGenerator(n_tasks=(8, 15), p_unsupported=0.2)
    plat = random_platform(4, 3, 5)
    cases = [(platform, g) for g in graphs]
    cases += [(plat, generator.sample(s)) for s in range(4)]
    for plat_, graph in cases:
        result = SoCSimulator(plat_, fixed_workload([graph])).run(rule)
        makespan = validate(plat_, graph, result.trace)
        assert makespan >= critical_path_bound(graph, plat_) - 1e-9


def test_latency_grows_with_the_injection_rate(platform):
    def mean_latency(rate: float) -> float:
        runs = [SoCSimulator(platform, ds3_workload(rate, 300, np.random.default_rng(s)),
                             warmup_jobs=50).run("etf") for s in range(3)]
        return float(np.mean([r.latency_mean_us for r in runs]))

    low, high = mean_latency(2.0), mean_latency(30.0)
    assert high > 1.5 * low


def test_throughput_follows_the_injection_rate_below_saturation(platform):
    workload = ds3_workload(5.0, 400, np.random.default_rng(2))
    result = SoCSimulator(platform, workload, warmup_jobs=50).run("etf")
    assert result.throughput_jobs_per_ms == pytest.approx(5.0, rel=0.15)


# ---------------------------------------------------------------------------------------------
# workloads and noise


def test_poisson_stream_has_the_requested_rate_and_mix():
    apps = [load_application(name) for name in DS3_APPLICATIONS]
    workload = poisson_workload(apps, DS3_JOB_PROBABILITIES, 4.0, 20000,
                                np.random.default_rng(0))
    assert workload.arrival[0] == 0.0
    assert np.mean(np.diff(workload.arrival)) == pytest.approx(250.0, rel=0.03)
    freq = np.bincount(workload.job_app, minlength=6) / workload.n_jobs
    np.testing.assert_allclose(freq, DS3_JOB_PROBABILITIES, atol=0.015)
    assert workload.n_rows == sum(apps[a].n_tasks for a in workload.job_app.tolist())
    again = poisson_workload(apps, DS3_JOB_PROBABILITIES, 4.0, 20000, np.random.default_rng(0))
    np.testing.assert_array_equal(workload.arrival, again.arrival)
    np.testing.assert_array_equal(workload.job_app, again.job_app)


@pytest.mark.parametrize("bad", [
    dict(mix_probabilities=[0.5, 0.6]),
    dict(mix_probabilities=[1.0]),
    dict(rate_jobs_per_ms=0.0),
    dict(noise="uniform"),
    dict(noise="gaussian", sigma=-0.1),
])
def test_poisson_workload_rejects_bad_arguments(bad):
    apps = [load_application("sc_tx"), load_application("sc_rx")]
    kwargs = dict(mix_probabilities=[0.5, 0.5], rate_jobs_per_ms=1.0, n_jobs=5,
                  rng=np.random.default_rng(0))
    kwargs.update(bad)
    with pytest.raises(ValueError):
        poisson_workload(apps, **kwargs)  # type: ignore[arg-type]


def test_fixed_workload_keeps_the_given_jobs_and_times():
    a, b = load_application("sc_tx"), load_application("range_detection")
    workload = fixed_workload([a, b, a], [0.0, 5.0, 5.0])
    assert workload.applications == (a, b)
    np.testing.assert_array_equal(workload.job_app, [0, 1, 0])
    np.testing.assert_array_equal(workload.job_first, [0, 8, 15, 23])
    with pytest.raises(ValueError, match="non-decreasing"):
        fixed_workload([a, b], [5.0, 0.0])
    with pytest.raises(ValueError, match="rng"):
        fixed_workload([a], noise="gaussian", sigma=0.1)


def test_no_noise_runs_the_cost_table(platform, ds3_stream):
    assert np.all(ds3_stream.multiplier == 1.0)
    result = SoCSimulator(platform, ds3_stream).run("etf")
    costs = cost_of_rows(platform, ds3_stream, result.trace.job, result.trace.task,
                         result.trace.pe)
    np.testing.assert_allclose(result.durations, costs, rtol=0, atol=1e-9)


def test_gaussian_noise_keeps_the_mean_and_floors_at_one_microsecond(platform):
    workload = ds3_workload(3.0, 600, np.random.default_rng(4), noise="gaussian", sigma=0.3)
    result = SoCSimulator(platform, workload).run("eft")
    validate(platform, workload.applications, result.trace, workload.job_app, workload.arrival,
             durations=result.durations)
    cost = cost_of_rows(platform, workload, result.trace.job, result.trace.task, result.trace.pe)
    ratio = result.durations / cost
    long = cost >= 5.0
    assert long.sum() > 3000
    assert ratio[long].mean() == pytest.approx(1.0, abs=0.02)
    assert ratio[long].std() == pytest.approx(0.3, abs=0.03)
    assert np.all(result.durations[cost >= 1.0] >= 1.0)
    # a spread large enough to draw negative times shows the floor itself
    wide = workload.with_noise("gaussian", 1.5, np.random.default_rng(5))
    wide_result = SoCSimulator(platform, wide).run("eft")
    wide_cost = cost_of_rows(platform, wide, wide_result.trace.job, wide_result.trace.task,
                             wide_result.trace.pe)
    floored = wide_result.durations[wide_cost >= 1.0]
    assert floored.min() == pytest.approx(1.0)
    assert np.sum(np.isclose(floored, 1.0)) > 50
    # tasks under 1 µs (DS3's zero-time tasks) are never lengthened to 1 µs
    tiny = wide_cost < 1.0
    assert tiny.any()
    assert np.all(wide_result.durations[tiny] >= wide_cost[tiny] - 1e-6)
    assert np.all(wide_result.durations[tiny] < 1.0)


def test_lognormal_noise_has_the_mean_and_coefficient_of_variation():
    m = draw_multipliers("lognormal", 0.3, 200000, np.random.default_rng(0))
    assert np.all(m > 0)
    assert m.mean() == pytest.approx(1.0, abs=0.005)
    assert m.std() / m.mean() == pytest.approx(0.3, abs=0.01)
    g = draw_multipliers("gaussian", 0.3, 200000, np.random.default_rng(0))
    assert g.mean() == pytest.approx(1.0, abs=0.005) and g.std() == pytest.approx(0.3, abs=0.01)
    np.testing.assert_array_equal(draw_multipliers("none", 0.3, 5, np.random.default_rng(0)),
                                  np.ones(5))


# ---------------------------------------------------------------------------------------------
# metrics


def test_warmup_jobs_are_left_out_of_the_metrics(platform):
    workload = ds3_workload(20.0, 200, np.random.default_rng(6))
    full = SoCSimulator(platform, workload).run("etf")
    cut = SoCSimulator(platform, workload, warmup_jobs=60).run("etf")
    latency = full.latency_us
    assert cut.completed_jobs == 140 and full.completed_jobs == 200
    assert cut.latency_mean_us == pytest.approx(latency[60:].mean())
    assert cut.latency_p95_us == pytest.approx(np.percentile(latency[60:], 95))
    assert cut.latency_mean_us != pytest.approx(full.latency_mean_us)
    assert cut.window_us[0] == workload.arrival[60]
    by_time = SoCSimulator(platform, workload, warmup_us=float(workload.arrival[60])).run("etf")
    assert by_time.latency_mean_us == pytest.approx(cut.latency_mean_us)
    np.testing.assert_array_equal(by_time.measured, np.arange(200) >= 60)


def test_energy_and_edp_match_a_hand_computation():
    graph = task_graph("pair", {"a": {"P1": 10.0}, "b": {"P2": 5.0}}, [("a", "b", 4.0)])
    plat = Platform(
        name="two", type_names=("P1", "P2"), pe_type=np.array([0, 1]),
        frequency_mhz=np.array([1000.0, 1000.0]), busy_power_w=np.array([2.0, 3.0]),
        idle_power_w=np.array([0.5, 0.25]), bandwidth=np.full((2, 2), 2.0),
        startup_latency=1.0,
    )
    result = SoCSimulator(plat, fixed_workload([graph])).run("etf")
    # a on PE 0 over [0, 10]; b's 4 units take 1 + 4 / 2 = 3 µs, so b runs on PE 1 over [13, 18]
    np.testing.assert_allclose(result.trace.start, [0.0, 13.0])
    np.testing.assert_allclose(result.trace.finish, [10.0, 18.0])
    energy_uj = 2.0 * 10 + 0.5 * 8 + 3.0 * 5 + 0.25 * 13
    assert result.energy_j == pytest.approx(energy_uj * 1e-6)
    assert result.latency_mean_us == pytest.approx(18.0)
    assert result.edp_j_s == pytest.approx(energy_uj * 1e-6 * 18.0 * 1e-6)
    np.testing.assert_allclose(result.utilisation, [10 / 18, 5 / 18])
    assert result.throughput_jobs_per_ms == pytest.approx(1000.0 / 18.0)


# ---------------------------------------------------------------------------------------------
# the step-wise API


def test_stepping_with_the_kernel_rule_reproduces_run(platform, ds3_stream):
    sim = SoCSimulator(platform, ds3_stream)
    whole = sim.run("etf")
    done = sim.reset()
    decisions = 0
    while not done:
        point = sim.decision_point()
        assert point.tasks.size > 0
        assert np.any(point.feasible[:, point.idle_pes])
        sim.decide("etf")
        decisions += 1
        done = sim.advance()
    stepped = sim.result("etf")
    assert decisions > ds3_stream.n_jobs
    np.testing.assert_array_equal(stepped.trace.pe, whole.trace.pe)
    np.testing.assert_allclose(stepped.trace.start, whole.trace.start)


def test_an_external_policy_may_wait_and_queue(platform):
    workload = ds3_workload(6.0, 60, np.random.default_rng(8))
    sim = SoCSimulator(platform, workload)
    done = sim.reset()
    while not done:
        point = sim.decision_point()
        # one task per decision point, on the lowest feasible PE (idle or busy: it queues)
        task_id = int(point.tasks[0])
        pe = int(np.flatnonzero(point.feasible[0])[0])
        start = sim.assign(task_id, pe)
        assert start >= point.time
        assert start >= sim.data_ready(task_id, pe) - 1e-9
        done = sim.advance()
    result = sim.result()
    assert result.completed_jobs == workload.n_jobs
    validate(platform, workload.applications, result.trace, workload.job_app, workload.arrival)


def test_assign_rejects_invalid_actions(platform):
    graph = load_application("wifi_rx")
    sim = SoCSimulator(platform, fixed_workload([graph]))
    assert not sim.reset()
    point = sim.decision_point()
    np.testing.assert_array_equal(point.task, [0])  # the matched filter is the only entry
    fft_task = graph.task_names.index("fft_1")
    with pytest.raises(InvalidActionError, match="not ready"):
        sim.assign(fft_task, 0)
    with pytest.raises(InvalidActionError, match="PEs are"):
        sim.assign(0, platform.n_pes)
    fft_pe = int(np.flatnonzero(platform.pe_type == platform.type_names.index("FFT"))[0])
    with pytest.raises(InvalidActionError, match="cannot run"):
        sim.assign(0, fft_pe)
    sim.assign(0, 4)
    with pytest.raises(InvalidActionError, match="already committed"):
        sim.assign(0, 5)


def test_advancing_with_nothing_left_to_wait_for_is_refused(platform):
    sim = SoCSimulator(platform, fixed_workload([load_application("sc_tx")]))
    sim.reset()
    with pytest.raises(InvalidActionError, match="no event is left"):
        sim.advance()
    sim.assign(int(sim.decision_point().tasks[0]), 0)
    assert not sim.advance()


def test_a_horizon_stops_the_run_and_keeps_completed_jobs_valid(platform):
    workload = ds3_workload(40.0, 300, np.random.default_rng(9))
    result = SoCSimulator(platform, workload, horizon_us=3000.0).run("etf")
    assert result.stopped_at_horizon and result.end_us == 3000.0
    assert 0 < result.completed_jobs < workload.n_jobs
    assert np.all(result.completion[np.isfinite(result.completion)] <= 3000.0)
    assert result.window_us == (0.0, 3000.0)
    trace, durations, job_app, arrival = result.completed_view()
    validate(platform, workload.applications, trace, job_app, arrival, durations=durations)
    assert result.throughput_jobs_per_ms == pytest.approx(result.completed_jobs / 3.0)


def test_scheduler_names_are_normalised_and_checked():
    assert rule_code("ETF") == rule_code("etf")
    assert rule_code("Round_Robin") == RULES["round-robin"]
    with pytest.raises(ValueError, match="HEFT_RT"):
        rule_code("heft_rt")

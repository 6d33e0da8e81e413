"""The simulator's ds3 mode against DS3's own rules (github.com/segemena/DS3: ``scheduler.py``,
``DASH_Sim_core.py``, ``job_generator.py``): traces worked out by hand from those rules, the cap
of 12 jobs in flight, the tie-breaks, and the names of each mode's schedulers."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.baselines.soc.online import simulate
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.builtin import (
    default_platform,
    topcuoglu_graph,
    topcuoglu_platform,
    wifi_tx,
)
from decisiongym.envs.soc.ds3_sim import DS3_MAX_JOBS_IN_FLIGHT
from decisiongym.envs.soc.graph import TaskGraph, task_graph
from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.simulator import SoCSimulator
from decisiongym.envs.soc.solution import validate
from decisiongym.envs.soc.workload import Workload, ds3_workload, fixed_workload

Placement = dict[tuple[int, str], tuple[int, float, float]]


def placements(graph: TaskGraph, result) -> Placement:  # type: ignore[no-untyped-def]
    """``(job, task name) -> (pe, start, finish)`` of a run's trace."""
    return {(int(j), graph.task_names[int(t)]): (int(q), float(s), float(f))
            for j, t, q, s, f in zip(result.trace.job, result.trace.task, result.trace.pe,
                                     result.trace.start, result.trace.finish)}


def assert_placed(got: Placement, expected: Placement) -> None:
    for key, (pe, start, finish) in expected.items():
        assert got[key][0] == pe, key
        assert got[key][1] == pytest.approx(start, abs=1e-9), key
        assert got[key][2] == pytest.approx(finish, abs=1e-9), key


def one_type_platform(n_pes: int) -> Platform:
    """``n_pes`` identical PEs of one type, links of bandwidth 1, no startup latency."""
    return Platform(name=f"cpu{n_pes}", type_names=("CPU",), pe_type=np.zeros(n_pes, np.int64),
                    frequency_mhz=np.array([1000.0]), busy_power_w=np.ones(1),
                    idle_power_w=np.zeros(1), bandwidth=np.ones((n_pes, n_pes)),
                    startup_latency=0.0)


def independent_tasks(name: str, costs: list[float]) -> TaskGraph:
    """Entry tasks with no edges, each of the given cost on type ``CPU``."""
    return task_graph(name, {f"t{i}": {"CPU": c} for i, c in enumerate(costs)}, [])


# ---------------------------------------------------------------------------------------------
# Topcuoglu's DAG, one job at time 0 on its three processors (P1, P2, P3 are PEs 0, 1, 2;
# a transfer between two of them costs the edge's published communication cost)


def test_ds3_met_on_topcuoglu_step_by_step():
    graph = topcuoglu_graph()
    result = SoCSimulator(topcuoglu_platform(), fixed_workload([graph]), mode="ds3").run("met")
    # MET: every task to its fastest processor (each minimum is unique here); a mapped task
    # waits in the executable list until its data are on that processor and it is idle.
    assert_placed(placements(graph, result), {
        (0, "n1"): (2, 0, 9),     # P3 (9); entry task, data at its arrival
        # t=9: n2..n6 ready in task order and mapped at once: n2, n3 -> P1, n4 -> P2,
        # n5, n6 -> P3; n5 is first in the list for P3, whose data are there (same PE)
        (0, "n5"): (2, 9, 19),
        (0, "n4"): (1, 18, 26),   # stamp 9 + 9 (n1 on P3 -> P2)
        (0, "n6"): (2, 19, 28),   # behind n5 on P3
        # back-filling: n2 was mapped to P1 before n3 but its data arrive at 27 (9 + 18),
        # n3's at 21 (9 + 12), so n3 takes the idle P1 first
        (0, "n3"): (0, 21, 32),
        (0, "n2"): (0, 32, 45),   # P1 free again at 32
        # t=32: n7 ready, mapped to P1 (7) behind n2, which is earlier in the list
        (0, "n7"): (0, 45, 52),
        # t=45: n8 -> P1, stamp max(45, 26 + 27, 28 + 15) = 53; n9 -> P2, stamp 45 + 16 = 61
        (0, "n8"): (0, 53, 58),
        (0, "n9"): (1, 61, 73),
        (0, "n10"): (1, 73, 80),  # P2 (7); stamp max(52 + 17, 58 + 11, 73) = 73
    })


def test_ds3_etf_on_topcuoglu_step_by_step():
    graph = topcuoglu_graph()
    result = SoCSimulator(topcuoglu_platform(), fixed_workload([graph]), mode="ds3").run("etf")
    # ETF: repeatedly the (ready task, PE) pair of least max(now, available, data) + cost;
    # the PE's available time becomes that finish.
    assert_placed(placements(graph, result), {
        (0, "n1"): (2, 0, 9),     # EF 14, 16, 9 -> P3
        # t=9, picks in order: n6 -> P3 (18); n4 -> P2 (18 + 8 = 26, beating n5 on P3 at 28);
        # n5 -> P3 (max(9, 18) + 10 = 28); n3 -> P1 (21 + 11 = 32); n2 -> P1 (32 + 13 = 45)
        (0, "n6"): (2, 9, 18),
        (0, "n4"): (1, 18, 26),
        (0, "n5"): (2, 18, 28),
        (0, "n3"): (0, 21, 32),
        (0, "n2"): (0, 32, 45),
        # t=32: n7 -> P1 (max(32, 45) + 7 = 52 against 70 and 66), behind n2
        (0, "n7"): (0, 45, 52),
        # t=45: n8 -> P1 (max(52, 53) + 5 = 58); then n9 -> P2 (61 + 12 = 73 < P1's 76)
        (0, "n8"): (0, 53, 58),
        (0, "n9"): (1, 61, 73),
        (0, "n10"): (1, 73, 80),  # P2: max(73, 52 + 17, 58 + 11) + 7 = 80
    })


# ---------------------------------------------------------------------------------------------
# two WiFi TX jobs (at 0 and 20 µs) on DS3's 16-PE SoC under DS3's MET. PEs: A7 0-3,
# A15 4-7, FFT 10-13. Every CPU task is fastest on the A15s, each IFFT on an FFT accelerator;
# A15 -> A15 transfers take volume / 1000 µs, A15 <-> FFT volume / 10.


def test_ds3_met_on_a_two_job_wifi_tx_stream_step_by_step():
    graph = wifi_tx()
    workload = fixed_workload([graph, graph], [0.0, 20.0])
    result = SoCSimulator(default_platform(), workload, mode="ds3").run("met")
    got = placements(graph, result)
    assert_placed(got, {
        (0, "scrambler_encoder"): (4, 0, 10),
        # t=10: the five interleavers; all four A15s idle, so the fewest-assigned rule spreads
        # them 4, 5, 6, 7, 4; data 2000 / 1000 = 2 µs away except on PE 4
        (0, "interleaver_1"): (4, 10, 14),
        (0, "interleaver_2"): (5, 12, 16),
        (0, "interleaver_3"): (6, 12, 16),
        (0, "interleaver_4"): (7, 12, 16),
        (0, "interleaver_5"): (4, 14, 18),
        # t=14: qpsk_1; A15 flags (busy?) [no, yes, yes, yes] -> only PE 4 is left; it queues
        # behind interleaver_5, mapped earlier
        (0, "qpsk_1"): (4, 18, 26),
        # t=16: flags [yes, no, no, no]: the busy PE 4 dropped, qpsk_2..4 spread on 5, 6, 7
        (0, "qpsk_2"): (5, 16, 24),
        (0, "qpsk_3"): (6, 16, 24),
        (0, "qpsk_4"): (7, 16, 24),
        # t=18: qpsk_5 -> PE 4 (the only idle A15), behind qpsk_1
        (0, "qpsk_5"): (4, 26, 34),
        # t=20: job 1 arrives; every A15 busy, so nothing is dropped and the fewest-assigned
        # rule gives PE 4. Job 0's tasks mapped to PE 4 later still run first (oldest job
        # first): qpsk_5 at 26, pilot_insertion_1 at 34, pilot_insertion_5 at 37.
        (0, "pilot_insertion_2"): (5, 24, 27),
        (0, "pilot_insertion_3"): (6, 24, 27),
        (0, "pilot_insertion_4"): (7, 24, 27),
        (0, "pilot_insertion_1"): (4, 34, 37),
        (0, "pilot_insertion_5"): (4, 37, 40),
        (1, "scrambler_encoder"): (4, 40, 50),
        # IFFTs: t=27, three to the idle FFTs 10, 11, 12 (data 10 / 10 = 1 µs away); t=37,
        # flags [yes, yes, yes, no] -> 13; t=40, all four busy -> the first, 10
        (0, "ifft_2"): (10, 28, 44),
        (0, "ifft_3"): (11, 28, 44),
        (0, "ifft_4"): (12, 28, 44),
        (0, "ifft_1"): (13, 38, 54),
        (0, "ifft_5"): (10, 44, 60),
        # CRCs: data 80 / 10 = 8 µs after the IFFT; t=44 PE 4 busy -> 5, 6, 7; t=54 flags
        # [no, yes, yes, yes] -> 4; t=60 all busy -> 4. Job 0's crc_1 (mapped at 54) runs at
        # 66 before job 1's qpsk_5, whose data were on PE 4 since 58.
        (0, "crc_2"): (5, 52, 55),
        (0, "crc_3"): (6, 52, 55),
        (0, "crc_4"): (7, 52, 55),
        (0, "crc_1"): (4, 66, 69),
        (0, "crc_5"): (4, 69, 72),
        # end: 0 µs on A7 and A15 (kept at 1 ns); all eight idle at 72, so the first, A7.0;
        # data from crc_5 (volume 3) at 72.003
        (0, "end"): (0, 72.003, 72.004),
        # job 1 fills in around job 0: its interleavers at t=50 spread 4, 5, 6, 7, 4, but PEs
        # 5-7 run job 0's CRCs first (data at 52, before job 1's at 52 in list order)
        (1, "interleaver_1"): (4, 50, 54),
        (1, "interleaver_5"): (4, 54, 58),
        (1, "interleaver_2"): (5, 55, 59),
        (1, "interleaver_3"): (6, 55, 59),
        (1, "interleaver_4"): (7, 55, 59),
        (1, "qpsk_1"): (4, 58, 66),
        (1, "qpsk_2"): (5, 59, 67),
        (1, "qpsk_3"): (6, 59, 67),
        (1, "qpsk_4"): (7, 59, 67),
        (1, "qpsk_5"): (4, 72, 80),   # mapped at 58, overtaken by job 0's crc_1 and crc_5
        (1, "ifft_2"): (10, 71, 87),
        (1, "ifft_3"): (11, 71, 87),
        (1, "ifft_4"): (12, 71, 87),
    })
    assert result.completion[0] == pytest.approx(72.004)
    # no cap was reached: each job's latency counts from its own arrival
    np.testing.assert_array_equal(result.arrival, [0.0, 20.0])
    validate(default_platform(), workload.applications, result.trace, workload.job_app,
             result.arrival, durations=result.durations)


# ---------------------------------------------------------------------------------------------
# tie-breaks


def test_ds3_met_drops_the_wrong_pe_when_busy_and_idle_ones_alternate():
    plat = one_type_platform(4)
    # job 0: four entry tasks spread on PEs 0-3 by the fewest-assigned rule; 0 and 2 run long
    first = independent_tasks("four", [100.0, 1.0, 100.0, 1.0])
    second = independent_tasks("one", [5.0])
    workload = fixed_workload([first, second], [0.0, 10.0])
    result = SoCSimulator(plat, workload, mode="ds3").run("met")
    pe = {(int(j), int(t)): int(q) for j, t, q in
          zip(result.trace.job, result.trace.task, result.trace.pe)}
    assert [pe[(0, t)] for t in range(4)] == [0, 1, 2, 3]
    # at 10 the flags are [busy, idle, busy, idle]: DS3 removes the entry at the first busy
    # PE's position twice (PEs 0 and 1), keeps [2, 3] and takes 2, busy until 100
    assert pe[(1, 0)] == 2
    assert result.trace.start[-1] == pytest.approx(100.0)
    # this library's MET waits for no one: the PE free soonest, 1
    ours = SoCSimulator(plat, workload).run("met-soonest")
    assert int(ours.trace.pe[-1]) == 1 and ours.trace.start[-1] == pytest.approx(10.0)


def test_ds3_met_prefers_the_idle_pe_and_then_the_fewest_assigned():
    plat = one_type_platform(3)
    # job 0's single task occupies PE 0; job 1's three tasks arrive while it runs
    workload = fixed_workload([independent_tasks("a", [50.0]),
                               independent_tasks("b", [5.0, 5.0, 5.0])], [0.0, 1.0])
    result = SoCSimulator(plat, workload, mode="ds3").run("met")
    # flags [busy, idle, idle] -> [1, 2]; fewest assigned in this call: 1, 2, then 1 again
    np.testing.assert_array_equal(result.trace.pe, [0, 1, 2, 1])
    np.testing.assert_allclose(result.trace.start, [0.0, 1.0, 1.0, 6.0])


def test_ds3_stf_maps_to_the_lowest_fastest_pe_and_keeps_the_ready_order():
    plat = one_type_platform(2)
    workload = fixed_workload([independent_tasks("two", [50.0, 5.0])])
    result = SoCSimulator(plat, workload, mode="ds3").run("stf")
    # both to PE 0 (the first of least cost, busy or not); DS3 picks the 5 µs task first but
    # does not reorder its list, so the 50 µs task, first ready, runs first
    np.testing.assert_array_equal(result.trace.pe, [0, 0])
    np.testing.assert_allclose(result.trace.start, [0.0, 50.0])
    ours = SoCSimulator(plat, workload).run("stf-soonest")
    np.testing.assert_array_equal(ours.trace.pe, [1, 0])  # 5 µs task first, to PE 0


def test_ds3_etf_ties_go_to_the_earlier_task_and_the_lower_pe():
    plat = one_type_platform(2)
    workload = fixed_workload([independent_tasks("two", [10.0, 10.0])])
    result = SoCSimulator(plat, workload, mode="ds3").run("etf")
    # both tasks finish at 10 on either PE: t0 (earlier in the list) to PE 0 (lower); then t1
    # finishes at 20 on PE 0, 10 on PE 1
    np.testing.assert_array_equal(result.trace.pe, [0, 1])
    np.testing.assert_allclose(result.trace.finish, [10.0, 10.0])


def test_ds3_etf_never_corrects_the_available_time():
    plat = one_type_platform(2)
    given = fixed_workload([independent_tasks("a", [100.0]), independent_tasks("b", [10.0])],
                           [0.0, 50.0])
    # job 0's task really takes 20 µs of its mean 100
    fast = Workload(given.applications, given.job_app, given.arrival, np.array([0.2, 1.0]))
    result = SoCSimulator(plat, fast, mode="ds3").run("etf")
    # at 50 PE 0 is idle but DS3 still counts it available at 100: job 1's task goes to PE 1
    np.testing.assert_array_equal(result.trace.pe, [0, 1])
    np.testing.assert_allclose(result.trace.finish, [20.0, 60.0])
    # the default mode learns the true free time when a PE runs out of work
    np.testing.assert_array_equal(SoCSimulator(plat, fast).run("etf").trace.pe, [0, 0])


# ---------------------------------------------------------------------------------------------
# the cap of 12 jobs in flight


def test_a_thirteenth_job_waits_for_a_completion_and_delays_the_ones_after():
    plat = one_type_platform(1)
    job = independent_tasks("one", [10.0])
    # 14 jobs: 12 at 0, then one at 1 and one 4 µs after it
    arrivals = [0.0] * 12 + [1.0, 5.0]
    workload = fixed_workload([job] * 14, arrivals)
    result = SoCSimulator(plat, workload, mode="ds3").run("eft")
    assert DS3_MAX_JOBS_IN_FLIGHT == 12
    # one PE runs the jobs in job order, 10 µs each: job k completes at 10 (k + 1)
    np.testing.assert_allclose(result.completion, 10.0 * np.arange(1, 15))
    # job 12 is due at 1 but 12 jobs are in flight until job 0 completes at 10; job 13 is due
    # 4 µs after job 12 entered (14) and waits for job 1's completion at 20. Nothing dropped.
    np.testing.assert_allclose(result.arrival, [0.0] * 12 + [10.0, 20.0])
    assert result.completed_jobs == 14
    # latency from each job's entry, as DS3's job_start
    assert result.latency_mean_us == pytest.approx(
        float(np.mean(result.completion - result.arrival)))
    validate(plat, workload.applications, result.trace, workload.job_app, result.arrival,
             durations=result.durations)


def test_never_more_than_12_jobs_in_flight_on_a_saturated_stream():
    workload = ds3_workload(60.0, 300, np.random.default_rng(5))
    result = simulate(default_platform(), workload, "etf", mode="ds3")
    assert result.completed_jobs == 300
    events = sorted([(t, 1) for t in result.arrival] + [(t, -1) for t in result.completion],
                    key=lambda e: (e[0], e[1]))  # a completion frees its slot first
    in_flight = np.cumsum([d for _, d in events])
    assert in_flight.max() == 12
    assert np.all(np.diff(result.arrival) >= 0)
    assert np.any(result.arrival > workload.arrival + 1e-9)  # the cap did bind
    validate(default_platform(), workload.applications, result.trace, workload.job_app,
             result.arrival, durations=result.durations)


# ---------------------------------------------------------------------------------------------
# modes and names


@pytest.mark.parametrize("rule", ["met", "etf", "eft", "stf"])
def test_every_ds3_rule_gives_a_valid_noisy_trace_and_is_repeatable(rule):
    workload = ds3_workload(8.0, 120, np.random.default_rng(9), noise="gaussian", sigma=0.2)
    a = simulate(default_platform(), workload, rule, mode="ds3", warmup_jobs=10)
    b = simulate(default_platform(), workload, rule, mode="ds3", warmup_jobs=10)
    validate(default_platform(), workload.applications, a.trace, workload.job_app, a.arrival,
             durations=a.durations)
    assert a.metrics() == b.metrics()
    np.testing.assert_array_equal(a.trace.start, b.trace.start)


def test_each_mode_refuses_the_other_modes_met_and_stf():
    plat, workload = default_platform(), ds3_workload(2.0, 5, np.random.default_rng(0))
    with pytest.raises(InputError, match="met-soonest"):
        SoCSimulator(plat, workload).run("met")
    with pytest.raises(InputError, match="runs in the default mode"):
        SoCSimulator(plat, workload, mode="ds3").run("stf-soonest")
    with pytest.raises(InputError, match="unknown online scheduler 'heft-rt' in the ds3 mode"):
        simulate(plat, workload, "heft-rt", mode="ds3")
    with pytest.raises(InputError, match="mode"):
        SoCSimulator(plat, workload, mode="DS3")
    with pytest.raises(InputError, match="step-by-step"):
        SoCSimulator(plat, workload, mode="ds3").reset()


def test_the_ds3_mode_differs_from_the_default_one_on_a_loaded_stream():
    workload = ds3_workload(15.0, 200, np.random.default_rng(3))
    default = simulate(default_platform(), workload, "etf")
    ds3 = simulate(default_platform(), workload, "etf", mode="ds3")
    assert not np.array_equal(default.trace.start, ds3.trace.start)

"""Trace and validate(): a hand-built valid schedule, and one violation of each kind."""

from __future__ import annotations

import numpy as np
import pytest

from decisiongym.envs.core.errors import ValidationError
from decisiongym.envs.soc.builtin import (
    default_platform,
    range_detection,
    topcuoglu_graph,
    topcuoglu_platform,
)
from decisiongym.envs.soc.graph import task_graph
from decisiongym.envs.soc.solution import CONSTRAINTS, Trace, validate

# HEFT's schedule of the Topcuoglu graph (Topcuoglu et al. 2002, Fig. 4a), written out by hand:
# task (0-based), processor (0-based), start, finish. Makespan 80.
HEFT_ROWS = [
    (0, 2, 0, 9),    # n1 on P3
    (2, 2, 9, 28),   # n3 on P3
    (3, 1, 18, 26),  # n4 on P2: n1's 9 units arrive at 9 + 9
    (1, 0, 27, 40),  # n2 on P1: n1's 18 units arrive at 27
    (4, 2, 28, 38),  # n5 on P3
    (5, 1, 26, 42),  # n6 on P2, after n4
    (8, 1, 56, 68),  # n9 on P2: n2's data arrives at 40 + 16
    (6, 2, 38, 49),  # n7 on P3
    (7, 0, 57, 62),  # n8 on P1: n6's data arrives at 42 + 15
    (9, 1, 73, 80),  # n10 on P2: n8's data arrives at 62 + 11
]


def heft_trace(rows: list[tuple[int, int, float, float]] | None = None, job: int = 0,
               shift: float = 0.0) -> Trace:
    rows = HEFT_ROWS if rows is None else rows
    return Trace(
        job=np.full(len(rows), job),
        task=np.array([r[0] for r in rows]),
        pe=np.array([r[1] for r in rows]),
        start=np.array([r[2] for r in rows], dtype=float) + shift,
        finish=np.array([r[3] for r in rows], dtype=float) + shift,
    )


def replace(task: int, pe: int, start: float, finish: float) -> list[tuple[int, int, float, float]]:
    return [(task, pe, start, finish) if r[0] == task else r for r in HEFT_ROWS]


def violated(trace: Trace, **kwargs: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validate(topcuoglu_platform(), topcuoglu_graph(), trace, **kwargs)  # type: ignore[arg-type]
    assert caught.value.constraint in CONSTRAINTS
    return caught.value


def test_accepts_published_heft_schedule() -> None:
    trace = heft_trace()
    assert validate(topcuoglu_platform(), topcuoglu_graph(), trace) == 80.0
    assert trace.makespan == 80.0
    assert len(trace) == 10


def test_records_round_trip_with_names() -> None:
    trace = heft_trace()
    records = trace.to_records(topcuoglu_graph(), topcuoglu_platform())
    assert records[0] == {"job": 0, "task": 0, "pe": 2, "start": 0.0, "finish": 9.0,
                          "task_name": "n1", "pe_name": "P3.0"}
    assert set(trace.to_records()[3]) == {"job", "task", "pe", "start", "finish"}
    back = Trace.from_records(records)
    assert np.array_equal(back.start, trace.start) and np.array_equal(back.pe, trace.pe)


def test_trace_is_frozen_and_checks_lengths() -> None:
    start = np.zeros(2)
    trace = Trace(np.zeros(2), np.arange(2), np.zeros(2), start, np.ones(2))
    start[0] = 5.0
    assert trace.start[0] == 0.0
    with pytest.raises(ValueError):
        trace.finish[0] = 3.0
    with pytest.raises(ValueError, match="one length"):
        Trace(np.zeros(2), np.arange(3), np.zeros(2), np.zeros(2), np.ones(2))


def test_missing_task_is_incomplete() -> None:
    error = violated(heft_trace(HEFT_ROWS[:-1]))
    assert error.constraint == "completeness"
    assert error.operands == ((0, 9),)


def test_task_run_twice_is_incomplete() -> None:
    error = violated(heft_trace(HEFT_ROWS + [HEFT_ROWS[0]]))
    assert error.constraint == "completeness"
    assert "twice" in str(error)


def test_unknown_job_or_task_is_incomplete() -> None:
    trace = heft_trace()
    extra = Trace(np.append(trace.job, 1), np.append(trace.task, 0), np.append(trace.pe, 0),
                  np.append(trace.start, 100.0), np.append(trace.finish, 114.0))
    assert violated(extra).constraint == "completeness"
    bad_task = heft_trace(replace(9, 1, 73, 80)[:-1] + [(10, 1, 73, 80)])
    assert violated(bad_task).constraint == "completeness"


def test_pe_out_of_range_is_infeasible() -> None:
    assert violated(heft_trace(replace(9, 3, 73, 80))).constraint == "feasibility"


def test_pe_type_that_cannot_run_the_task_is_infeasible() -> None:
    graph = task_graph("g", {"a": {"P1": 2.0}, "b": {"P1": 3.0, "P2": 3.0}}, [("a", "b", 0.0)])
    trace = Trace([0, 0], [0, 1], [1, 1], [0.0, 2.0], [2.0, 5.0])
    with pytest.raises(ValidationError) as caught:
        validate(topcuoglu_platform(), graph, trace)
    assert caught.value.constraint == "feasibility"
    assert caught.value.operands == ((0, 0),)


def test_wrong_duration() -> None:
    error = violated(heft_trace(replace(7, 0, 57, 63)))
    assert error.constraint == "duration"
    assert error.operands == ((0, 7),)


def test_actual_durations_replace_costs() -> None:
    rows = replace(9, 1, 73, 81.5)
    durations = np.array([r[3] - r[2] for r in rows])
    assert validate(topcuoglu_platform(), topcuoglu_graph(), heft_trace(rows),
                    durations=durations) == 81.5
    durations[0] += 1.0
    assert violated(heft_trace(rows), durations=durations).constraint == "duration"


def test_start_before_arrival() -> None:
    error = violated(heft_trace(), arrival=[5.0])
    assert error.constraint == "arrival"
    assert error.operands == ((0, 0),)


def test_start_before_predecessor_finishes() -> None:
    # n10 on P1 at 60: n8 (a predecessor on P1) finishes at 62.
    error = violated(heft_trace(replace(9, 0, 60, 81)))
    assert error.constraint == "precedence"
    assert error.operands == ((0, 7), (0, 9))


def test_start_before_data_arrives() -> None:
    # n4 on P2 at 17: n1 finished at 9, but its 9 units reach P2 only at 18.
    error = violated(heft_trace(replace(3, 1, 17, 25)))
    assert error.constraint == "data-arrival"
    assert error.operands == ((0, 0), (0, 3))


def test_same_pe_needs_no_transfer() -> None:
    # n3 right after n1 on P3: no transfer, so starting at 9 is allowed (as in HEFT_ROWS).
    assert validate(topcuoglu_platform(), topcuoglu_graph(), heft_trace()) == 80.0
    # On another PE the same start would be 12 units too early.
    error = violated(heft_trace(replace(2, 0, 9, 20)))
    assert error.constraint == "data-arrival"


def test_two_tasks_on_one_pe_at_once() -> None:
    # n6 on P2 at 25 (its data is there at 23) overlaps n4's [18, 26].
    error = violated(heft_trace(replace(5, 1, 25, 41)))
    assert error.constraint == "pe-exclusivity"
    assert set(error.operands) == {(0, 3), (0, 5)}


def test_startup_latency_counts_in_data_arrival() -> None:
    graph = task_graph("g", {"a": {"P1": 2.0, "P2": 2.0}, "b": {"P1": 3.0, "P2": 3.0}},
                       [("a", "b", 4.0)])
    base = topcuoglu_platform()
    platform = type(base)(base.name, base.type_names, base.pe_type, base.frequency_mhz,
                          base.busy_power_w, base.idle_power_w, base.bandwidth, 1.5)
    ok = Trace([0, 0], [0, 1], [0, 1], [0.0, 7.5], [2.0, 10.5])
    assert validate(platform, graph, ok) == 10.5
    early = Trace([0, 0], [0, 1], [0, 1], [0.0, 7.0], [2.0, 10.0])
    with pytest.raises(ValidationError, match="data-arrival"):
        validate(platform, graph, early)


def concat(*traces: Trace) -> Trace:
    return Trace(*(np.concatenate([getattr(t, k) for t in traces])
                   for k in ("job", "task", "pe", "start", "finish")))


def test_many_jobs_with_arrivals() -> None:
    both = concat(heft_trace(job=0), heft_trace(job=1, shift=100.0))
    graph, platform = topcuoglu_graph(), topcuoglu_platform()
    # The makespan runs from the earliest arrival to the latest finish.
    assert validate(platform, [graph], both, job_graph=[0, 0], arrival=[0.0, 100.0]) == 180.0
    assert validate(platform, [graph], both, job_graph=[0, 0], arrival=[-5.0, 90.0]) == 185.0
    with pytest.raises(ValidationError, match="arrival"):
        validate(platform, [graph], both, job_graph=[0, 0], arrival=[0.0, 101.0])
    # Shifted by only 50, the second job collides with the first on some processor.
    overlap = concat(heft_trace(job=0), heft_trace(job=1, shift=50.0))
    with pytest.raises(ValidationError) as caught:
        validate(platform, [graph], overlap, job_graph=[0, 0], arrival=[0.0, 50.0])
    assert caught.value.constraint == "pe-exclusivity"


def test_two_different_graphs_on_the_default_platform() -> None:
    platform = default_platform()
    graphs = [range_detection(), topcuoglu_graph()]
    # Range detection on A15.0 alone, in topological order: no transfers needed.
    lag = graphs[0]
    a15 = platform.pe_names().index("A15.0")
    cost = lag.cost_on(platform)[:, a15]
    t = 0.0
    rows = []
    for task in lag.topological_order.tolist():
        rows.append((0, task, a15, t, t + cost[task]))
        t += cost[task]
    trace = Trace(*(np.array(col) for col in zip(*rows)))
    # The Topcuoglu graph cannot run here (no P1-P3 PEs), so only job 0 is given.
    assert validate(platform, graphs[:1], trace) == pytest.approx(t)
    with pytest.raises(ValidationError) as caught:
        validate(platform, graphs, trace, job_graph=[0, 1])
    assert caught.value.constraint == "completeness"

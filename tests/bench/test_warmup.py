"""Warm-up before the timed call: once per process and key, before every cell of a grid on
every local backend, a notice only on a terminal, and no answer changed by it."""

from __future__ import annotations

import io
import os
import time

import pytest

from decisiongym.bench import warmup
from decisiongym.bench.record import Record
from decisiongym.bench.runner import run_grid
from decisiongym.bench.warmup import NOTICE, warm_once


def test_each_key_is_warmed_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "_warmed", {})
    calls: list[str] = []
    assert warm_once("a", lambda: (calls.append("a"), time.sleep(0.01))) >= 0.01
    assert warm_once("a", lambda: calls.append("a again")) == 0.0
    assert warm_once("b", lambda: calls.append("b")) >= 0.0
    assert calls == ["a", "b"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("stream, shown", [(Terminal, True), (io.StringIO, False)])
def test_a_slow_warm_up_says_so_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch,
                                                   stream: type[io.StringIO],
                                                   shown: bool) -> None:
    monkeypatch.setattr(warmup, "_warmed", {})
    monkeypatch.setattr(warmup, "_noticed", type(warmup._noticed)())
    monkeypatch.setattr(warmup, "NOTICE_AFTER_S", 0.01)
    err = stream()
    monkeypatch.setattr("sys.stderr", err)
    warm_once("slow", lambda: time.sleep(0.3))
    warm_once("slow too", lambda: time.sleep(0.3))
    assert err.getvalue() == (NOTICE + "\n" if shown else "")  # one line, once


def test_a_fast_warm_up_is_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(warmup, "_warmed", {})
    monkeypatch.setattr(warmup, "_noticed", type(warmup._noticed)())
    err = Terminal()
    monkeypatch.setattr("sys.stderr", err)
    warm_once("fast", lambda: None)
    assert err.getvalue() == ""


def pid_cell(cell: int) -> Record:
    warmed = warmup._warmed.get(("test", os.getpid()))
    return Record(family="test", method="pid", instance=str(cell), seed=0, objective=cell,
                  objective_name="cell", valid=True, extra={"warm": warmed is not None})


def warm_pid(cell: int) -> None:
    warm_once(("test", os.getpid()), lambda: None)


@pytest.mark.parametrize("processes", [1, 2])
def test_every_cell_runs_warm_on_every_local_backend(processes: int) -> None:
    records = run_grid([1, 2, 3, 4], pid_cell, processes=processes, title="test",
                       warm_up=warm_pid)
    assert [r.objective for r in records] == [1, 2, 3, 4]
    assert all(r.extra["warm"] for r in records)


def test_warming_changes_no_answer() -> None:
    from decisiongym.bench.bandits.grid import BanditCell
    from decisiongym.bench.bandits.grid import run_cell as bandit_cell
    from decisiongym.bench.bandits.grid import warm_cell as warm_bandit
    from decisiongym.bench.jobshop.grid import solve_jobshop
    from decisiongym.bench.jobshop.solve import solve_instance
    from decisiongym.bench.soc.grid import SocCell
    from decisiongym.bench.soc.grid import run_cell as soc_cell
    from decisiongym.bench.soc.grid import warm_cell as warm_soc
    from decisiongym.envs.jobshop.catalog import load_instance

    instance = load_instance("ta01")
    for method in ("random", "mwkr"):
        cold = solve_jobshop(instance, method, seed=3)
        warm = solve_instance(instance, method, seed=3)
        assert warm.objective == cold.objective and warm.valid
        assert warm.extra["compile_s"] >= 0.0
        assert (warm.solution.start == cold.solution.start).all()

    cells = [BanditCell("decisiongym/ContextualBandit-Linear-v0", agent, 1, 60)
             for agent in ("linucb", "neuralts", "epsilon-greedy")]
    cold_records = [bandit_cell(c) for c in cells]
    for cell in cells:
        warm_bandit(cell)
    assert [bandit_cell(c).objective for c in cells] == [r.objective for r in cold_records]

    stream = SocCell("random", 10.0, 0.1, 2, 30)
    cold_stream = soc_cell(stream)
    warm_soc(stream)
    assert soc_cell(stream).objective == cold_stream.objective


def test_every_single_call_entry_point_reports_its_compile_time_apart() -> None:
    from decisiongym.bench.bandits.simulate import simulate_agent
    from decisiongym.bench.soc.simulate import simulate_stream
    from decisiongym.bench.soc.solve import dag_json, solve_dag
    from decisiongym.envs.soc.builtin import load_dag_problem

    problem = load_dag_problem("topcuoglu", "topcuoglu")
    record = solve_dag(problem, "heft")
    assert record.objective == 80.0 and record.extra["compile_s"] >= 0.0
    assert dag_json(problem, record)["compile_s"] == record.extra["compile_s"]
    stream = simulate_stream("etf", rate_jobs_per_ms=5.0, n_jobs=20)
    assert stream.as_json()["compile_s"] == round(stream.compile_s, 6) >= 0.0
    summary = simulate_agent("decisiongym/ContextualBandit-Linear-v0", "linucb", 1, 30)
    assert summary["compile_s"] >= 0.0

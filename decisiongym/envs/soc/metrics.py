"""What a simulated stream produced: the trace of executed tasks and the steady-state metrics.

Measurement
-----------
A job is *measured* when its index is at least ``warmup_jobs`` and it arrives at or after
``warmup_us``; the jobs before are the warm-up, run but left out. The *window* runs from the
first measured arrival ``t0`` to ``t1``: the last completion of a measured job when the run
finished, or the stop time when a horizon cut it short. Over it:

``latency_mean_us``, ``latency_p95_us``
    mean and 95th percentile (linear interpolation, numpy's default) of ``completion -
    arrival`` over the measured jobs that completed;
``completed_jobs``
    how many measured jobs completed;
``throughput_jobs_per_ms``
    ``completed_jobs / (t1 - t0)``, per ms;
``energy_j``
    ``sum over PEs of busy_power * busy + idle_power * (t1 - t0 - busy)``, with ``busy`` the
    time the PE spent running tasks inside the window (any job's tasks: warm-up jobs still
    draw power), W x µs converted to J;
``edp_j_s``
    energy-delay product, ``energy_j * latency_mean_us * 1e-6``: joules times seconds;
``utilisation``
    ``busy / (t1 - t0)`` per PE (``mean_utilisation`` averages them).

A PE reserved for a task whose data are still in flight counts as idle until the task starts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from decisiongym.envs.soc.platform import Platform
from decisiongym.envs.soc.solution import Trace

if TYPE_CHECKING:
    from decisiongym.envs.soc.workload import Workload


@dataclass(frozen=True, eq=False)
class SimulationResult:
    """One simulated stream.

    :param scheduler: the scheduler's name.
    :param trace: every task that finished, in (job, task) order.
    :param durations: ``(len(trace),)`` actual execution time of each trace row (with noise).
    :param job_app: ``(n_jobs,)`` application index of each job (``job_graph`` of
        :func:`~decisiongym.envs.soc.solution.validate`).
    :param arrival: ``(n_jobs,)`` arrival times, µs.
    :param completion: ``(n_jobs,)`` completion times, NaN for jobs that did not complete.
    :param measured: ``(n_jobs,)`` whether each job counts in the metrics (module docstring).
    :param end_us: the time the simulation stopped.
    :param stopped_at_horizon: whether a horizon stopped it before every job finished.
    :param window_us: ``(t0, t1)`` of the measurement window.
    :param latency_mean_us: mean job latency, µs.
    :param latency_p95_us: 95th-percentile job latency, µs.
    :param throughput_jobs_per_ms: completed measured jobs per ms of window.
    :param completed_jobs: measured jobs that completed.
    :param energy_j: energy over the window, J.
    :param edp_j_s: energy times mean latency, J·s.
    :param utilisation: ``(n_pes,)`` fraction of the window each PE was running a task.
    """

    scheduler: str
    trace: Trace
    durations: np.ndarray
    job_app: np.ndarray
    arrival: np.ndarray
    completion: np.ndarray
    measured: np.ndarray
    end_us: float
    stopped_at_horizon: bool
    window_us: tuple[float, float]
    latency_mean_us: float
    latency_p95_us: float
    throughput_jobs_per_ms: float
    completed_jobs: int
    energy_j: float
    edp_j_s: float
    utilisation: np.ndarray = field(repr=False)

    @property
    def latency_us(self) -> np.ndarray:
        """``(n_jobs,)`` ``completion - arrival``, NaN where not complete (measured or not)."""
        return self.completion - self.arrival

    @property
    def mean_utilisation(self) -> float:
        return float(self.utilisation.mean()) if self.utilisation.size else 0.0

    def metrics(self) -> dict[str, float]:
        """The scalar metrics as a flat record."""
        return {
            "latency_mean_us": self.latency_mean_us,
            "latency_p95_us": self.latency_p95_us,
            "throughput_jobs_per_ms": self.throughput_jobs_per_ms,
            "completed_jobs": float(self.completed_jobs),
            "energy_j": self.energy_j,
            "edp_j_s": self.edp_j_s,
            "mean_utilisation": self.mean_utilisation,
        }

    def completed_view(self) -> tuple[Trace, np.ndarray, np.ndarray, np.ndarray]:
        """The completed jobs alone, renumbered ``0..k-1`` in order, for
        :func:`~decisiongym.envs.soc.solution.validate` after a horizon cut the run short.

        :returns: ``(trace, durations, job_app, arrival)`` of those jobs.
        """
        done = np.isfinite(self.completion)
        new_id = np.cumsum(done) - 1
        rows = done[self.trace.job]
        trace = Trace(new_id[self.trace.job[rows]], self.trace.task[rows], self.trace.pe[rows],
                      self.trace.start[rows], self.trace.finish[rows])
        return trace, self.durations[rows], self.job_app[done], self.arrival[done]


def summarise(
    platform: Platform,
    workload: Workload,
    scheduler: str,
    *,
    pe: np.ndarray,
    start: np.ndarray,
    finish: np.ndarray,
    finished: np.ndarray,
    completion: np.ndarray,
    end_us: float,
    stopped_at_horizon: bool,
    warmup_jobs: int = 0,
    warmup_us: float = 0.0,
) -> SimulationResult:
    """Build the result of a run from per-task and per-job arrays (module docstring).

    :param platform: the PEs (power figures).
    :param workload: the jobs.
    :param scheduler: name to record.
    :param pe: ``(n_rows,)`` PE of each task, -1 where never committed.
    :param start: ``(n_rows,)`` start times (NaN where never committed).
    :param finish: ``(n_rows,)`` finish times.
    :param finished: ``(n_rows,)`` whether each task finished (only those enter the trace; a
        task still running at a horizon counts in energy and utilisation up to ``t1``).
    :param completion: ``(n_jobs,)`` completion times, NaN where not complete.
    :param end_us: the time the simulation stopped.
    :param stopped_at_horizon: whether a horizon stopped it.
    :param warmup_jobs: jobs below this index are not measured.
    :param warmup_us: jobs arriving before this time are not measured.
    """
    n_jobs = workload.n_jobs
    job_first = workload.job_first
    rows = np.flatnonzero(finished)
    job_of_row = np.repeat(np.arange(n_jobs, dtype=np.int64), np.diff(job_first))
    trace = Trace(job_of_row[rows], rows - job_first[job_of_row[rows]], pe[rows], start[rows],
                  finish[rows])
    durations = finish[rows] - start[rows]
    completion = np.asarray(completion, dtype=np.float64).copy()
    arrival = workload.arrival
    measured = (np.arange(n_jobs) >= warmup_jobs) & (arrival >= warmup_us)
    done = measured & np.isfinite(completion)
    latency = completion[done] - arrival[done]

    n_pes = platform.n_pes
    nan = float("nan")
    if not measured.any():
        return SimulationResult(
            scheduler, trace, durations, workload.job_app, arrival, completion, measured,
            float(end_us), stopped_at_horizon, (nan, nan), nan, nan, 0.0, 0, 0.0, nan,
            np.zeros(n_pes))
    t0 = float(arrival[measured].min())
    if stopped_at_horizon or not done.any():
        t1 = float(end_us)
    else:
        t1 = float(completion[done].max())
    span = max(t1 - t0, 0.0)
    committed = pe >= 0
    busy = np.zeros(n_pes)
    overlap = np.clip(np.minimum(finish[committed], t1) - np.maximum(start[committed], t0),
                      0.0, None)
    np.add.at(busy, pe[committed], overlap)
    busy_power = platform.busy_power_w[platform.pe_type]
    idle_power = platform.idle_power_w[platform.pe_type]
    energy_uj = float(np.sum(busy_power * busy + idle_power * (span - busy)))
    energy_j = energy_uj * 1e-6
    latency_mean = float(latency.mean()) if latency.size else nan
    latency_p95 = float(np.percentile(latency, 95)) if latency.size else nan
    throughput = latency.size / span * 1000.0 if span > 0 else 0.0
    utilisation = busy / span if span > 0 else np.zeros(n_pes)
    return SimulationResult(
        scheduler=scheduler,
        trace=trace,
        durations=durations,
        job_app=workload.job_app,
        arrival=arrival,
        completion=completion,
        measured=measured,
        end_us=float(end_us),
        stopped_at_horizon=stopped_at_horizon,
        window_us=(t0, t1),
        latency_mean_us=latency_mean,
        latency_p95_us=latency_p95,
        throughput_jobs_per_ms=float(throughput),
        completed_jobs=int(latency.size),
        energy_j=energy_j,
        edp_j_s=energy_j * latency_mean * 1e-6,
        utilisation=utilisation,
    )

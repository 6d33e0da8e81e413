"""Streams of jobs for the SoC simulator: when each job arrives, which application it runs, and
how long each of its tasks actually takes.

A job is one instance of an application (a :class:`TaskGraph`). Its tasks are numbered job by
job and, inside a job, in the graph's task order; that flat index is a job's *row*, the unit the
simulator tracks. Times are µs.

Arrivals
--------
:func:`poisson_workload` draws a Poisson stream: the first job arrives at 0 and the gaps between
arrivals are exponential with mean ``1000 / rate`` µs for an injection rate in jobs per ms, as
DS3 does (``int(expovariate(1/scale))`` µs, with ``scale = 1000 / rate``; here the gaps are not
rounded to whole µs). Each job's application is drawn independently from the mix.
:func:`fixed_workload` takes the jobs and their arrival times as given (DS3's ``job_list``
snippets, a trace, or one job at time 0).

Execution-time noise
--------------------
The noise is drawn once per row as a multiplier ``m`` of the mean cost, so the draw does not
depend on the PE the task later runs on; a row running on a PE whose mean cost is ``c`` takes

``"none"``       ``c`` exactly (``m = 1``);
``"gaussian"``   ``max(min(1, c), c * m)`` with ``m ~ N(1, sigma^2)``: ``N(c, (sigma c)^2)``
                 floored at 1 µs, as DS3Gym draws it (``max(1, N(mean, (resource_std *
                 mean)^2))`` in ``gym_ds3/envs/core/processing_element.py``). DS3Gym also rounds
                 to whole µs; this does not. A task whose mean is below 1 µs (DS3's zero-time
                 source and sink tasks, kept at :data:`~decisiongym.envs.soc.builtin.DUMMY_TASK_US`)
                 is floored at its mean instead, so noise never turns it into a 1 µs task;
``"lognormal"``  ``c * m`` with ``m = exp(s Z - s^2 / 2)``, ``s^2 = ln(1 + sigma^2)``: the same
                 mean ``c`` and coefficient of variation ``sigma`` as the Gaussian, but a heavy
                 right tail and never negative, so no floor.

``sigma`` is the standard deviation as a fraction of the mean (DS3's ``standard_deviation``,
DS3Gym's ``resource_std``). Schedulers only ever see the mean costs; the multipliers are what
happens.

The DS3 mix
-----------
:data:`DS3_JOB_PROBABILITIES` is ``job_probabilities = [0.2,0.2,0.2,0.1,0.1,0.2]`` over
:data:`~decisiongym.envs.soc.builtin.DS3_APPLICATIONS` (WiFi-TX, WiFi-RX, range detection, SC-T,
SC-R, temporal mitigation) from DS3's ``config_Files/config_file.ini`` (github.com/segemena/DS3,
commit e0d80ee). The same file's performance mode uses ``scale = 500`` µs, i.e.
:data:`DS3_RATE_JOBS_PER_MS` = 2 jobs per ms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from decisiongym.envs.core.errors import InputError
from decisiongym.envs.soc.builtin import DS3_APPLICATIONS, load_application
from decisiongym.envs.soc.graph import TaskGraph

NoiseModel = Literal["none", "gaussian", "lognormal"]
NOISE_MODELS: tuple[str, ...] = ("none", "gaussian", "lognormal")
"""The execution-time noise models (module docstring)."""

GAUSSIAN_FLOOR_US = 1.0
"""The Gaussian model's floor on an actual execution time, µs (DS3Gym's ``max(1, ...)``)."""

DS3_JOB_PROBABILITIES: tuple[float, ...] = (0.2, 0.2, 0.2, 0.1, 0.1, 0.2)
"""DS3's default application mix over :data:`DS3_APPLICATIONS`, in that order."""

DS3_RATE_JOBS_PER_MS = 2.0
"""DS3's default injection rate in performance mode (``scale = 500`` µs between jobs)."""


def draw_multipliers(
    noise: str, sigma: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``n`` execution-time multipliers of the mean cost under a noise model.

    :param noise: ``"none"``, ``"gaussian"`` or ``"lognormal"``.
    :param sigma: standard deviation as a fraction of the mean (>= 0).
    :param n: how many to draw.
    :param rng: the only source of randomness (nothing is drawn for ``"none"``).
    :returns: ``(n,)`` multipliers; apply them with :func:`actual_duration`.
    """
    _check_noise(noise, sigma)
    if noise == "none" or sigma == 0.0:
        return np.ones(n)
    z = rng.standard_normal(n)
    if noise == "gaussian":
        return 1.0 + sigma * z
    s2 = float(np.log1p(sigma * sigma))
    return np.exp(np.sqrt(s2) * z - 0.5 * s2)


def duration_floor(noise: str) -> float:
    """The floor (µs) :func:`actual_duration` applies under a noise model (0 for none)."""
    return GAUSSIAN_FLOOR_US if noise == "gaussian" else 0.0


def actual_duration(mean: np.ndarray | float, multiplier: np.ndarray | float,
                    noise: str) -> np.ndarray:
    """The execution time a task really takes: ``max(min(floor, mean), mean * multiplier)``.

    :param mean: mean cost(s) on the chosen PE, µs.
    :param multiplier: the row's multiplier(s) from :func:`draw_multipliers`.
    :param noise: the model the multipliers were drawn under (it sets the floor).
    """
    mean_arr = np.asarray(mean, dtype=np.float64)
    floor = np.minimum(duration_floor(noise), mean_arr)
    return np.maximum(mean_arr * np.asarray(multiplier, dtype=np.float64), floor)


def _check_noise(noise: str, sigma: float) -> None:
    if noise not in NOISE_MODELS:
        raise InputError(f"noise must be one of {', '.join(NOISE_MODELS)}, got {noise!r}")
    if not np.isfinite(sigma) or sigma < 0:
        raise InputError(f"sigma must be a finite fraction of the mean >= 0, got {sigma}")


@dataclass(frozen=True, eq=False)
class Workload:
    """Jobs, their arrival times and the actual execution-time multipliers of their tasks.

    :param applications: the distinct task graphs jobs are instances of.
    :param job_app: ``(n_jobs,)`` index into ``applications`` of each job.
    :param arrival: ``(n_jobs,)`` arrival time of each job, µs, non-decreasing.
    :param multiplier: ``(n_rows,)`` execution-time multiplier of each row (every task of every
        job, job by job); ones without noise.
    :param noise: the model the multipliers were drawn under (module docstring).
    :param sigma: its standard deviation as a fraction of the mean.
    """

    applications: tuple[TaskGraph, ...]
    job_app: np.ndarray
    arrival: np.ndarray
    multiplier: np.ndarray
    noise: str = "none"
    sigma: float = 0.0

    def __post_init__(self) -> None:
        apps = tuple(self.applications)
        if not apps or not all(isinstance(g, TaskGraph) for g in apps):
            raise InputError("applications must hold at least one TaskGraph")
        object.__setattr__(self, "applications", apps)
        _check_noise(self.noise, self.sigma)
        job_app = np.asarray(self.job_app, dtype=np.int64).reshape(-1)
        arrival = np.asarray(self.arrival, dtype=np.float64).reshape(-1)
        if arrival.shape != job_app.shape:
            raise InputError(f"{job_app.size} jobs but {arrival.size} arrival times")
        if job_app.size and (job_app.min() < 0 or job_app.max() >= len(apps)):
            raise InputError(f"job_app entries must index the {len(apps)} applications")
        if not np.all(np.isfinite(arrival)) or np.any(arrival < 0):
            raise InputError("arrival times must be finite and >= 0")
        if np.any(np.diff(arrival) < 0):
            raise InputError("arrival times must be non-decreasing (jobs in arrival order)")
        sizes = np.array([g.n_tasks for g in apps], dtype=np.int64)[job_app]
        job_first = np.zeros(job_app.size + 1, dtype=np.int64)
        np.cumsum(sizes, out=job_first[1:])
        multiplier = np.asarray(self.multiplier, dtype=np.float64).reshape(-1)
        if multiplier.shape != (int(job_first[-1]),):
            raise InputError(f"multiplier must hold one value per task of every job "
                             f"({int(job_first[-1])}), got {multiplier.size}")
        if not np.all(np.isfinite(multiplier)):
            raise InputError("multipliers must be finite")
        for key, value in (("job_app", job_app), ("arrival", arrival),
                           ("multiplier", multiplier), ("_job_first", job_first)):
            value = value.copy()
            value.setflags(write=False)
            object.__setattr__(self, key, value)

    @property
    def n_jobs(self) -> int:
        return int(self.job_app.shape[0])

    @property
    def n_rows(self) -> int:
        """Tasks over all jobs."""
        return int(self.multiplier.shape[0])

    @property
    def job_first(self) -> np.ndarray:
        """``(n_jobs + 1,)`` first row of each job; job ``j`` holds rows
        ``job_first[j]:job_first[j + 1]``."""
        return self._job_first  # type: ignore[attr-defined, no-any-return]

    def job_graphs(self) -> list[TaskGraph]:
        """The graph of each job."""
        return [self.applications[a] for a in self.job_app.tolist()]

    def with_noise(self, noise: str, sigma: float, rng: np.random.Generator) -> Workload:
        """The same jobs and arrivals with multipliers redrawn under another noise model, so a
        sweep over ``sigma`` compares schedulers on one arrival sequence.

        :param noise: ``"none"``, ``"gaussian"`` or ``"lognormal"``.
        :param sigma: standard deviation as a fraction of the mean.
        :param rng: source of the multipliers.
        """
        return Workload(self.applications, self.job_app, self.arrival,
                        draw_multipliers(noise, sigma, self.n_rows, rng), noise, sigma)


def poisson_workload(
    applications: Sequence[TaskGraph],
    mix_probabilities: Sequence[float] | None,
    rate_jobs_per_ms: float,
    n_jobs: int,
    rng: np.random.Generator,
    *,
    noise: str = "none",
    sigma: float = 0.0,
) -> Workload:
    """A Poisson stream of ``n_jobs`` jobs drawn from an application mix.

    Draws, in this order: the ``n_jobs - 1`` exponential gaps, the applications, the
    multipliers; so one seed gives one workload.

    :param applications: the applications of the mix.
    :param mix_probabilities: probability of each application (summing to 1); ``None`` for a
        uniform mix.
    :param rate_jobs_per_ms: injection rate, jobs per ms (> 0).
    :param n_jobs: number of jobs (>= 0).
    :param rng: the only source of randomness.
    :param noise: execution-time noise model (module docstring).
    :param sigma: its standard deviation as a fraction of the mean.
    """
    apps = tuple(applications)
    if not apps:
        raise InputError("the mix needs at least one application")
    if mix_probabilities is None:
        probs = np.full(len(apps), 1.0 / len(apps))
    else:
        probs = np.asarray(mix_probabilities, dtype=np.float64).reshape(-1)
        if probs.shape != (len(apps),):
            raise InputError(f"{len(apps)} applications but {probs.size} probabilities")
        if np.any(probs < 0) or not np.isclose(probs.sum(), 1.0, atol=1e-9):
            raise InputError(f"mix probabilities must be >= 0 and sum to 1, got {probs.tolist()}")
        probs = probs / probs.sum()
    if not np.isfinite(rate_jobs_per_ms) or rate_jobs_per_ms <= 0:
        raise InputError(f"rate_jobs_per_ms must be > 0, got {rate_jobs_per_ms}")
    if n_jobs < 0:
        raise InputError(f"n_jobs must be >= 0, got {n_jobs}")
    _check_noise(noise, sigma)
    gaps = rng.exponential(1000.0 / rate_jobs_per_ms, size=max(n_jobs - 1, 0))
    arrival = np.concatenate([np.zeros(min(n_jobs, 1)), np.cumsum(gaps)])
    job_app = rng.choice(len(apps), size=n_jobs, p=probs).astype(np.int64)
    n_rows = int(np.array([g.n_tasks for g in apps], dtype=np.int64)[job_app].sum())
    return Workload(apps, job_app, arrival, draw_multipliers(noise, sigma, n_rows, rng),
                    noise, sigma)


def fixed_workload(
    job_list: Sequence[TaskGraph],
    arrival_times: Sequence[float] | np.ndarray | None = None,
    *,
    noise: str = "none",
    sigma: float = 0.0,
    rng: np.random.Generator | None = None,
) -> Workload:
    """Given jobs at given times.

    :param job_list: the graph of each job, in arrival order (the same graph object may repeat).
    :param arrival_times: arrival time of each job, µs, non-decreasing; all 0 when omitted.
    :param noise: execution-time noise model (module docstring).
    :param sigma: its standard deviation as a fraction of the mean.
    :param rng: source of the multipliers; required unless ``noise`` is ``"none"``.
    """
    jobs = list(job_list)
    apps: list[TaskGraph] = []
    index: dict[int, int] = {}
    job_app = np.empty(len(jobs), dtype=np.int64)
    for j, graph in enumerate(jobs):
        if not isinstance(graph, TaskGraph):
            raise InputError(f"job {j} is a {type(graph).__name__}, not a TaskGraph")
        if id(graph) not in index:
            index[id(graph)] = len(apps)
            apps.append(graph)
        job_app[j] = index[id(graph)]
    if not apps:
        raise InputError("job_list must hold at least one job")
    arrival = (np.zeros(len(jobs)) if arrival_times is None
               else np.asarray(arrival_times, dtype=np.float64))
    _check_noise(noise, sigma)
    n_rows = sum(g.n_tasks for g in jobs)
    if noise != "none" and sigma > 0 and rng is None:
        raise InputError(f"noise {noise!r} needs an rng to draw from")
    # with no noise nothing is drawn, so any generator will do
    multiplier = draw_multipliers(noise, sigma, n_rows, rng or np.random.default_rng(0))
    return Workload(tuple(apps), job_app, arrival, multiplier, noise, sigma)


def ds3_workload(
    rate_jobs_per_ms: float,
    n_jobs: int,
    rng: np.random.Generator,
    *,
    noise: str = "none",
    sigma: float = 0.0,
) -> Workload:
    """A Poisson stream over DS3's six reference applications with DS3's default mix.

    :param rate_jobs_per_ms: injection rate (DS3's default is :data:`DS3_RATE_JOBS_PER_MS`).
    :param n_jobs: number of jobs.
    :param rng: the only source of randomness.
    :param noise: execution-time noise model.
    :param sigma: its standard deviation as a fraction of the mean.
    """
    apps = [load_application(name) for name in DS3_APPLICATIONS]
    return poisson_workload(apps, DS3_JOB_PROBABILITIES, rate_jobs_per_ms, n_jobs, rng,
                            noise=noise, sigma=sigma)

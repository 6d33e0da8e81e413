"""The SoC benchmark: online schedulers on DS3's default platform and mix over an injection-rate
sweep, noise levels and seeds; single-DAG list schedulers against CP-SAT; and speed.

Every streaming cell draws ``ds3_workload(rate, n_jobs, default_rng(seed))`` (Gaussian
execution-time noise when ``sigma > 0``), so every scheduler of a (rate, sigma, seed) sees the
same jobs and the comparisons between schedulers are paired by seed. Records go to CSV and
the markdown and plot are rendered from the CSV alone.

Saturation (:func:`saturation_rate`): a rate *sustains* a scheduler when its mean throughput is
at least 95 % of the realised arrival rate of the measured jobs and its mean latency at most 3x
its latency at the lowest swept rate; the saturation rate is the highest swept rate such that it
and every lower rate are sustained. Both tests are needed: on a finite stream the backlog drains
after the last arrival, so throughput alone understates overload, and latency alone misses a
scheduler that is slow from the start.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.bandits.metrics import mean_interval
from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import markdown_table

HEURISTICS = ("met", "etf", "eft", "stf", "heft-rt", "random", "round-robin")
LEARNED = "learned"
SIGMAS = (0.0, 0.1, 0.3)
# Dense between 15 and 32 jobs/ms, where ETF and HEFT_RT saturate on the DS3 mix, so that 80 %
# of a saturation rate lands near a swept rate (18 is 80 % of 23, ETF's saturation under the
# heaviest noise); 36 and 40 are well past ETF's saturation.
DEFAULT_RATES = (2.0, 5.0, 10.0, 15.0, 18.0, 20.0, 23.0, 26.0, 29.0, 32.0, 36.0, 40.0)
QUICK_RATES = (5.0, 15.0, 25.0, 35.0)
DEFAULT_JOBS = 500
QUICK_JOBS = 150
# HEFT_RT re-plans every uncommitted task in the system at each arrival, so past its saturation
# (about 23-26 jobs/ms) each run costs seconds and grows with the backlog; two swept rates past
# it are enough to show the blow-up.
HEFT_RT_MAX_RATE = 32.0
WARMUP_SHARE = 0.1
THROUGHPUT_SHARE = 0.95
LATENCY_FACTOR = 3.0
LOAD_SHARE = 0.8
GOAL_GAIN = 0.05
# DS3 (github segemena/DS3, SimPy, 1 µs ticks) on its default configuration, measured on 2 cores
# (shared/references/soc.md); DS3 is GPL-3.0 and not installable here, so the figure is quoted.
DS3_JOBS_PER_CPU_S = 7.3
DS3_SOURCE = "DS3 default configuration, 2 cores, as measured in references/soc.md"
SPEED_TARGET_FACTOR = 1000.0
ENV_TARGET = 20_000.0
HEFT_TARGET_FACTOR = 20.0


@dataclass(frozen=True)
class SocCell:
    """One streaming run of the grid (picklable, for local processes or Ray)."""

    scheduler: str
    rate: float
    sigma: float
    seed: int
    n_jobs: int


@dataclass(frozen=True)
class DagCell:
    """One single-DAG instance: a random DAG on a random platform."""

    index: int
    n_pes: int
    n_types: int
    n_tasks: tuple[int, int]
    time_limit: float


def learned_unavailable() -> str | None:
    """Why no learned scheduler can run, or ``None`` when one can: ``"learned"`` in
    ``ONLINE_SCHEDULERS``, or ``decisiongym.agents.soc.policy.learned_scheduler()`` that builds
    (it loads the shipped weights, which may be missing while the agent is being trained)."""
    from decisiongym.baselines.soc.online import ONLINE_SCHEDULERS

    if LEARNED in ONLINE_SCHEDULERS:
        return None
    factory = _learned_factory()
    if factory is None:
        return ("neither `\"learned\"` in `decisiongym.baselines.soc.online.ONLINE_SCHEDULERS` nor "
                "`decisiongym.agents.soc.policy.learned_scheduler` exists")
    try:
        factory()
    except Exception as exc:  # any failure to build it means there is no agent to compare
        return f"`decisiongym.agents.soc.policy.learned_scheduler()` failed: {exc}"
    return None


def _learned_factory() -> Callable[[], Any] | None:
    try:
        module = importlib.import_module("decisiongym.agents.soc.policy")
    except ImportError:
        return None
    factory = getattr(module, "learned_scheduler", None)
    return factory if callable(factory) else None


def _simulate(cell: SocCell) -> Any:
    from decisiongym.baselines.soc.online import ONLINE_SCHEDULERS, simulate
    from decisiongym.envs.soc.builtin import default_platform
    from decisiongym.envs.soc.sim import SoCSimulator
    from decisiongym.envs.soc.workload import ds3_workload

    platform = default_platform()
    noise = "gaussian" if cell.sigma > 0 else "none"
    workload = ds3_workload(cell.rate, cell.n_jobs, np.random.default_rng(cell.seed),
                            noise=noise, sigma=cell.sigma)
    warmup = int(WARMUP_SHARE * cell.n_jobs)
    if cell.scheduler == LEARNED and LEARNED not in ONLINE_SCHEDULERS:
        factory = _learned_factory()
        if factory is None:
            raise ValueError("no learned scheduler: decisiongym.agents.soc.policy is missing")
        # learned_scheduler() returns what an ONLINE_SCHEDULERS entry holds: a function that
        # drives a simulator over its whole workload and returns the SimulationResult
        run = factory()
        return run(SoCSimulator(platform, workload, warmup_jobs=warmup))
    return simulate(platform, workload, cell.scheduler, seed=cell.seed, warmup_jobs=warmup)


def run_cell(cell: SocCell) -> dict[str, Any]:
    """One flat record of a streaming run."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = _simulate(cell)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    arrivals = np.sort(result.arrival[result.measured])
    span_ms = (arrivals[-1] - arrivals[0]) / 1000.0 if arrivals.size > 1 else 0.0
    return {
        "scheduler": cell.scheduler,
        "rate": cell.rate,
        "sigma": cell.sigma,
        "seed": cell.seed,
        "n_jobs": cell.n_jobs,
        "latency_mean_us": float(result.latency_mean_us),
        "latency_p95_us": float(result.latency_p95_us),
        "throughput": float(result.throughput_jobs_per_ms),
        # the realised arrival rate of the measured jobs: a short Poisson stream's differs from
        # the nominal rate by several percent, too much for a 95 % throughput test
        "offered": (arrivals.size - 1) / span_ms if span_ms > 0 else float(cell.rate),
        "energy_j": float(result.energy_j),
        "edp": float(result.edp_j_s),
        "completed": int(result.completed_jobs),
        "wall_s": wall_s,
        "cpu_s": cpu_s,
    }


def stream_cells(schedulers: Sequence[str], rates: Sequence[float], sigmas: Sequence[float],
                 seeds: int, n_jobs: int) -> list[SocCell]:
    """The streaming grid; HEFT_RT stops at :data:`HEFT_RT_MAX_RATE` (see there)."""
    return [SocCell(s, float(r), float(sigma), seed, n_jobs)
            for s in schedulers for sigma in sigmas for r in rates for seed in range(seeds)
            if not (s == "heft-rt" and r > HEFT_RT_MAX_RATE)]


def dag_cells(count: int = 10, time_limit: float = 5.0) -> list[DagCell]:
    """Small random DAGs (10-12 tasks) on 3 or 4 PEs of 3 types, where CP-SAT can often prove
    optimality within the time limit."""
    return [DagCell(i, 3 + i % 2, 3, (10, 12), time_limit) for i in range(count)]


def run_dag_cell(cell: DagCell) -> dict[str, Any]:
    """HEFT, PEFT, CPOP and CP-SAT (one worker, seed 0, so deterministic) on one DAG."""
    from decisiongym.baselines.soc.cpsat import solve_dag_cpsat
    from decisiongym.baselines.soc.list_scheduling import cpop, heft, peft
    from decisiongym.envs.soc.generator import RandomDAGGenerator, random_platform

    platform = random_platform(cell.n_pes, cell.n_types, cell.index)
    generator = RandomDAGGenerator(n_tasks=cell.n_tasks, type_names=platform.type_names,
                                   name=f"dag{cell.index}")
    graph = generator.sample(cell.index)
    exact = solve_dag_cpsat(graph, platform, time_limit=cell.time_limit, workers=1, seed=0)
    return {
        "dag": cell.index,
        "n_tasks": graph.n_tasks,
        "n_edges": graph.n_edges,
        "n_pes": cell.n_pes,
        "heft": heft(graph, platform).makespan,
        "peft": peft(graph, platform).makespan,
        "cpop": cpop(graph, platform).makespan,
        "cpsat": exact.makespan,
        "cpsat_bound": exact.bound,
        "cpsat_status": exact.status,
        "cpsat_wall_s": exact.wall_s,
    }


def saturation_rate(rates: Sequence[float], throughput: Sequence[float],
                    latency: Sequence[float], offered: Sequence[float] | None = None) -> float:
    """The highest rate such that it and every lower rate are sustained (module docstring).

    :param rates: swept injection rates (any order).
    :param throughput: mean throughput at each rate, same unit as ``rates``.
    :param latency: mean latency at each rate.
    :param offered: mean realised arrival rate at each rate, which the throughput is compared
        with; the nominal ``rates`` when omitted.
    :returns: the saturation rate, or NaN when even the lowest rate is not sustained.
    """
    order = np.argsort(np.asarray(rates, dtype=np.float64))
    r = np.asarray(rates, dtype=np.float64)[order]
    x = np.asarray(throughput, dtype=np.float64)[order]
    lat = np.asarray(latency, dtype=np.float64)[order]
    load = r if offered is None else np.asarray(offered, dtype=np.float64)[order]
    best = float("nan")
    for k in range(r.size):
        if x[k] < THROUGHPUT_SHARE * load[k] or lat[k] > LATENCY_FACTOR * lat[0]:
            break
        best = float(r[k])
    return best


def saturation_table(results: pd.DataFrame) -> dict[tuple[str, float], float]:
    """``(scheduler, sigma) -> saturation rate`` from the seed means of the records."""
    means = (results.groupby(["scheduler", "sigma", "rate"], sort=False)
             [["throughput", "latency_mean_us", "offered"]].mean().reset_index())
    table = {}
    for (scheduler, sigma), rows in means.groupby(["scheduler", "sigma"], sort=False):
        table[(str(scheduler), float(sigma))] = saturation_rate(
            rows["rate"].tolist(), rows["throughput"].tolist(), rows["latency_mean_us"].tolist(),
            rows["offered"].tolist())
    return table


def comparison_rate(rates: Sequence[float], saturation: float) -> float:
    """The highest swept rate at or below :data:`LOAD_SHARE` of a saturation rate (NaN when
    there is none)."""
    below = [r for r in rates if r <= LOAD_SHARE * saturation + 1e-9]
    return max(below) if below else float("nan")


def relative_latency(results: pd.DataFrame, scheduler: str, reference: str, rate: float,
                     sigma: float) -> tuple[float, float, int]:
    """Mean and 95 % half-width of ``latency(scheduler) / latency(reference) - 1``, paired by
    seed (same workload), and the number of pairs."""
    rows = results[(results["rate"] == rate) & (results["sigma"] == sigma)]
    a = rows[rows["scheduler"] == scheduler].set_index("seed")["latency_mean_us"]
    b = rows[rows["scheduler"] == reference].set_index("seed")["latency_mean_us"]
    a, b = a.align(b, join="inner")
    if a.empty:
        return float("nan"), float("nan"), 0
    mean, half = mean_interval((a / b - 1.0).to_numpy())
    return mean, half, len(a)


def measure_speed(seconds: float = 2.0) -> list[dict[str, Any]]:
    """Jobs per CPU-second with ETF, env decisions per second and HEFT against the plain
    reference, measured in this run, as table rows."""
    rows = [_simulator_speed()]
    rows += _env_speed(seconds)
    rows += _heft_speed()
    if learned_unavailable() is None:
        rows.append(_learned_speed())
    return rows


def _simulator_speed(n_jobs: int = 20_000) -> dict[str, Any]:
    from decisiongym.baselines.soc.online import simulate
    from decisiongym.envs.soc.builtin import default_platform
    from decisiongym.envs.soc.workload import DS3_RATE_JOBS_PER_MS, ds3_workload

    platform = default_platform()
    workload = ds3_workload(DS3_RATE_JOBS_PER_MS, n_jobs, np.random.default_rng(0))
    # the first call loads the compiled kernels; time the second
    simulate(platform, ds3_workload(DS3_RATE_JOBS_PER_MS, 50, np.random.default_rng(0)), "etf")
    c0 = time.process_time()
    simulate(platform, workload, "etf", warmup_jobs=n_jobs // 10)
    ours = n_jobs / max(time.process_time() - c0, 1e-9)
    ratio = ours / DS3_JOBS_PER_CPU_S
    return {"what": f"stream simulation, ETF, default 16-PE platform, DS3 mix at "
                    f"{DS3_RATE_JOBS_PER_MS:g} jobs/ms, {n_jobs:,} jobs (jobs per CPU-second)",
            "ours": f"{ours:,.0f}", "peer": f"{DS3_JOBS_PER_CPU_S} (DS3, quoted: {DS3_SOURCE})",
            "ratio": f"{ratio:,.0f}x", "target": f">= {SPEED_TARGET_FACTOR:,.0f}x",
            "met": "yes" if ratio >= SPEED_TARGET_FACTOR else "no"}


def _learned_speed(rate: float = 20.0, n_jobs: int = 300) -> dict[str, Any]:
    """The learned scheduler's greedy choices per second on one stream: its compiled copy
    against the torch module on one thread, over the same observations."""
    from decisiongym.agents.soc.policy import SoCPolicy
    from decisiongym.agents.threads import single_torch_thread
    from decisiongym.envs.soc.env import SoCSchedulingEnv
    from decisiongym.envs.soc.workload import ds3_workload

    policy = SoCPolicy.load()
    workload = ds3_workload(rate, n_jobs, np.random.default_rng(0), noise="gaussian", sigma=0.3)
    env = SoCSchedulingEnv(mix=list(workload.applications), mode="task", invalid_action="raise")
    obs, _ = env.reset(options={"workload": workload})
    observations = []
    done = False
    while not done:
        if obs["action_mask"].sum() > 1:  # a lone occupied slot asks no network
            observations.append({key: value.copy() for key, value in obs.items()})
        obs, _, done, _, _ = env.step(policy.act(obs))
    env.close()
    compiled = policy.to_compiled()
    compiled.act(observations[0])  # the first call loads the kernels from numba's cache
    compiled = policy.to_compiled()  # and an empty embedding cache for the timed run
    t0 = time.perf_counter()
    for o in observations:
        compiled.act(o)
    ours = len(observations) / (time.perf_counter() - t0)
    with single_torch_thread():
        t0 = time.perf_counter()
        for o in observations:
            policy.act(o)
        peer = len(observations) / (time.perf_counter() - t0)
    return {"what": f"learned scheduler, the {len(observations):,} greedy choices between two "
                    f"or more ready tasks of a {n_jobs}-job stream, DS3 mix at {rate:g} jobs/ms, "
                    "sigma 0.3 (choices per second)",
            "ours": f"{ours:,.0f}", "peer": f"{peer:,.0f} (the torch module, one thread)",
            "ratio": f"{ours / peer:.1f}x", "target": "-", "met": "-"}


def _env_speed(seconds: float) -> list[dict[str, Any]]:
    from decisiongym.envs.soc.env import SoCSchedulingEnv

    rows = []
    for policy in ("first legal", "random legal"):
        env = SoCSchedulingEnv(n_jobs=200, invalid_action="raise")
        rng = np.random.default_rng(0)
        obs, _ = env.reset(seed=0)
        steps = 0
        elapsed = 0.0
        while elapsed < seconds:
            t0 = time.perf_counter()
            for _ in range(200):
                legal = np.flatnonzero(obs["action_mask"])
                action = legal[0] if policy == "first legal" else legal[rng.integers(legal.size)]
                obs, _, done, truncated, _ = env.step(int(action))
                steps += 1
                if done or truncated:
                    obs, _ = env.reset()
            elapsed += time.perf_counter() - t0
        env.close()
        rate = steps / elapsed
        rows.append({"what": f"SoCSchedulingEnv steps, {policy} action, DS3 mix at 2 jobs/ms "
                             "(decisions/s, resets included)",
                     "ours": f"{rate:,.0f}", "peer": "-", "ratio": "-",
                     "target": f">= {ENV_TARGET:,.0f}/s",
                     "met": "yes" if rate >= ENV_TARGET else "no"})
    return rows


def _heft_speed() -> list[dict[str, Any]]:
    from decisiongym.bench.soc.heft_reference import heft_speed_table

    rows = []
    for rec in heft_speed_table((100, 1000, 5000), n_pes=16):
        reference = rec["reference_s"]
        ratio = None if reference is None else reference / rec["heft_s"]
        target = "-"
        met = "-"
        if rec["n_tasks"] == 1000 and ratio is not None:
            target = f">= {HEFT_TARGET_FACTOR:.0f}x"
            met = "yes" if ratio >= HEFT_TARGET_FACTOR else "no"
        same = "" if rec["same_makespan"] is None else (
            ", same makespan" if rec["same_makespan"] else ", makespans differ")
        rows.append({"what": f"HEFT, {rec['n_tasks']:,} tasks / {rec['n_edges']:,} edges on 16 "
                             f"PEs (ms per schedule{same})",
                     "ours": f"{1e3 * rec['heft_s']:.2f}",
                     "peer": "-" if reference is None
                     else f"{1e3 * reference:.1f} (plain-Python HEFT)",
                     "ratio": "-" if ratio is None else f"{ratio:.0f}x",
                     "target": target, "met": met})
    return rows


def run_benchmark(
    seeds: int = 10,
    rates: Sequence[float] | None = None,
    n_jobs: int | None = None,
    quick: bool = False,
    processes: int = 2,
    out_dir: str | Path = "benchmarks/results",
    command: str = "decisiongym bench soc",
    backend: str = "local",
    address: str | None = None,
    speed: bool = True,
) -> Path:
    """Run the grid, write ``soc.csv``, ``soc_dags.csv``, ``soc_speed.csv`` (with ``speed``),
    ``soc_latency.png`` and ``soc.md`` into ``out_dir``; return the markdown path.

    :param seeds: seeds per (scheduler, rate, sigma); at most 2 with ``quick``.
    :param rates: injection rates in jobs/ms (:data:`DEFAULT_RATES`, or
        :data:`QUICK_RATES` with ``quick``).
    :param n_jobs: jobs per stream (:data:`DEFAULT_JOBS`, or :data:`QUICK_JOBS` with ``quick``).
    :param quick: a smoke run: few seeds, rates and jobs, 3 DAGs with a 2 s limit.
    :param processes: local worker processes.
    :param out_dir: folder of the results files.
    :param command: the command line written in the markdown header.
    :param backend: ``"local"`` or ``"ray"``.
    :param address: Ray cluster address.
    :param speed: measure the speed table.
    """
    from decisiongym.bench.runner import run_grid

    if quick:
        seeds = min(seeds, 2)
    chosen_rates = tuple(rates or (QUICK_RATES if quick else DEFAULT_RATES))
    jobs = n_jobs or (QUICK_JOBS if quick else DEFAULT_JOBS)
    missing = learned_unavailable()
    schedulers = HEURISTICS + (() if missing else (LEARNED,))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cells = stream_cells(schedulers, chosen_rates, SIGMAS, seeds, jobs)
    records = run_grid(cells, run_cell,
                       lambda c: f"{c.scheduler} {c.rate:g}/ms sigma {c.sigma:g}",
                       backend=backend, processes=processes, address=address, title="soc")
    results = pd.DataFrame.from_records(records)
    results.to_csv(out / "soc.csv", index=False)
    dags = dag_cells(3, 2.0) if quick else dag_cells()
    dag_records = run_grid(dags, run_dag_cell, lambda c: f"dag {c.index}", backend=backend,
                           processes=processes, address=address, title="soc dags")
    dag_results = pd.DataFrame.from_records(dag_records)
    dag_results.to_csv(out / "soc_dags.csv", index=False)
    speed_records = measure_speed() if speed else []
    if speed_records:
        pd.DataFrame.from_records(speed_records).to_csv(out / "soc_speed.csv", index=False)
    plot = plot_latency(results, out / "soc_latency.png")
    markdown = render(results, dag_results, speed_records, command, plot.name,
                      {"seeds": seeds, "n_jobs": jobs, "rates": chosen_rates,
                       "learned_missing": missing})
    path = out / "soc.md"
    path.write_text(markdown)
    return path


def remeasure_speed(out_dir: str | Path = "benchmarks/results",
                    command: str = "decisiongym bench soc --speed-only") -> Path:
    """Measure the speed table again and re-render ``soc.md`` from the stream and DAG records
    already in ``out_dir`` (``soc.csv``, ``soc_dags.csv``), which are not rerun: the speed
    table is the only part that changes when the code gets faster. The header names both
    runs.

    :raises FileNotFoundError: when the records of a full run are not in ``out_dir``.
    """
    out = Path(out_dir)
    missing = [name for name in ("soc.csv", "soc_dags.csv", "soc.md")
               if not (out / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{out}: no {', '.join(missing)}; run `decisiongym bench soc` "
                                "first (--speed-only re-renders a full run's records)")
    first_line = next((line for line in (out / "soc.md").read_text().splitlines()
                       if line.startswith("Written by `")), "")
    original = first_line.split("`")[1] if first_line.count("`") >= 2 else "decisiongym bench soc"
    results = pd.read_csv(out / "soc.csv")
    dag_results = pd.read_csv(out / "soc_dags.csv")
    speed_records = measure_speed()
    pd.DataFrame.from_records(speed_records).to_csv(out / "soc_speed.csv", index=False)
    plot = plot_latency(results, out / "soc_latency.png")
    rates = tuple(sorted(float(r) for r in results["rate"].unique()))
    setup = {"seeds": int(results["seed"].nunique()), "n_jobs": int(results["n_jobs"].iloc[0]),
             "rates": rates, "learned_missing": None if LEARNED in set(results["scheduler"])
             else "no learned scheduler in the records"}
    markdown = render(results, dag_results, speed_records, command, plot.name, setup)
    note = (f"Streams and single DAGs: the records of `{original}` (soc.csv, soc_dags.csv); "
            "the speed table below was measured again by this command.")
    lines = markdown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("Streams:"))
    lines[at:at] = [note, ""]
    path = out / "soc.md"
    path.write_text("\n".join(lines) + ("\n" if markdown.endswith("\n") else ""))
    return path


def plot_latency(results: pd.DataFrame, path: Path) -> Path:
    """Mean job latency (95 % band) against injection rate, one panel per sigma, one line per
    scheduler, log scale (overload latencies are orders of magnitude above low-load ones)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    sigmas = sorted(results["sigma"].unique())
    schedulers = list(dict.fromkeys(results["scheduler"]))
    palette = plt.get_cmap("tab10")
    colour = {s: palette(i % palette.N) for i, s in enumerate(schedulers)}
    fig, axes = plt.subplots(1, len(sigmas), figsize=(4.5 * len(sigmas), 3.5), squeeze=False,
                             sharey=True)
    for ax, sigma in zip(axes.flat, sigmas):
        for scheduler in schedulers:
            rows = results[(results["sigma"] == sigma) & (results["scheduler"] == scheduler)]
            if rows.empty:
                continue
            stats = [(rate, *mean_interval(g["latency_mean_us"]))
                     for rate, g in rows.groupby("rate")]
            r, mean, half = (np.asarray(v) for v in zip(*stats))
            ax.plot(r, mean, marker=".", label=scheduler, linewidth=1.2, color=colour[scheduler])
            ax.fill_between(r, np.maximum(mean - half, 1e-3), mean + half, alpha=0.2,
                            color=colour[scheduler])
        ax.set_yscale("log")
        ax.set_title(f"noise sigma {sigma:g}", fontsize=9)
        ax.set_xlabel("injection rate (jobs/ms)", fontsize=8)
        ax.tick_params(labelsize=7)
    axes.flat[0].set_ylabel("mean job latency (µs)", fontsize=8)
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _cell(values: pd.Series, fmt: str) -> str:
    mean, half = mean_interval(values.to_numpy())
    return f"{mean:{fmt}} ± {half:{fmt}}"


def _stream_tables(results: pd.DataFrame) -> list[str]:
    lines = []
    for sigma in sorted(results["sigma"].unique()):
        rows = results[results["sigma"] == sigma]
        table = [[scheduler, f"{rate:g}", str(len(g)), _cell(g["latency_mean_us"], ".0f"),
                  _cell(g["latency_p95_us"], ".0f"), _cell(g["throughput"], ".2f"),
                  _cell(g["energy_j"], ".4f"), f"{g['cpu_s'].mean():.3f}"]
                 for scheduler in dict.fromkeys(rows["scheduler"])
                 for rate, g in rows[rows["scheduler"] == scheduler].groupby("rate")]
        lines += [f"### Noise sigma {sigma:g}", ""]
        lines += markdown_table(["scheduler", "rate (jobs/ms)", "seeds", "latency mean (µs)",
                                 "latency p95 (µs)", "throughput (jobs/ms)", "energy (J)",
                                 "CPU s per run"], table)
        lines.append("")
    return lines


def _heuristic_saturations(saturation: dict[tuple[str, float], float],
                           sigma: float) -> dict[str, float]:
    return {s: saturation[(s, sigma)] for s in HEURISTICS
            if (s, sigma) in saturation and np.isfinite(saturation[(s, sigma)])}


def best_heuristic(saturation: dict[tuple[str, float], float], sigma: float,
                   results: pd.DataFrame, rates: Sequence[float]) -> str | None:
    """The heuristic with the highest saturation rate at ``sigma``, ties broken by the lower mean
    latency at its comparison rate; ``None`` when none is sustained at any rate."""
    sats = _heuristic_saturations(saturation, sigma)
    if not sats:
        return None

    def latency_at(s: str) -> float:
        rate = comparison_rate(rates, sats[s])
        rows = results[(results["scheduler"] == s) & (results["sigma"] == sigma)
                       & (results["rate"] == rate)]
        return float(rows["latency_mean_us"].mean()) if not rows.empty else float("inf")

    return min(sats, key=lambda s: (-sats[s], latency_at(s)))


def _agent_section(results: pd.DataFrame, saturation: dict[tuple[str, float], float],
                   rates: Sequence[float], missing: str | None) -> list[str]:
    lines = ["## The learned scheduler against the heuristics", ""]
    if LEARNED not in set(results["scheduler"]):
        return lines + [
            "**The agent row is absent**: no learned scheduler could run when this ran "
            f"({missing or 'none was found'}), so the goal (at least {GOAL_GAIN:.0%} lower "
            f"average latency than the best heuristic at {LOAD_SHARE:.0%} of its saturation "
            f"rate, sigma {SIGMAS[-1]:g}) is not evaluated.", ""]
    lines += [f"Relative mean latency `learned / reference - 1` (negative: the agent is "
              f"faster), paired by seed, mean ± 95 % interval, at {LOAD_SHARE:.0%} of the "
              f"reference's saturation rate (the highest swept rate at or below it).", ""]
    table = []
    for sigma in SIGMAS:
        for reference in ("heft-rt", "etf"):
            sat = saturation.get((reference, sigma), float("nan"))
            rate = comparison_rate(rates, sat) if np.isfinite(sat) else float("nan")
            mean, half, n = relative_latency(results, LEARNED, reference, rate, sigma)
            table.append([f"{sigma:g}", reference, f"{sat:g}", f"{rate:g}", str(n),
                          _relative(mean, half, n)])
    lines += markdown_table(["sigma", "reference", "its saturation (jobs/ms)", "rate compared",
                             "pairs", "relative latency"], table)
    lines.append("")
    sigma = SIGMAS[-1]
    best = best_heuristic(saturation, sigma, results, rates)
    goal = (f"Goal: at least {GOAL_GAIN:.0%} lower average latency than the best heuristic at "
            f"{LOAD_SHARE:.0%} of that heuristic's saturation rate, at sigma {sigma:g}.")
    if best is None:
        return lines + [goal, "", "**Not evaluated**: no heuristic sustains any swept rate.", ""]
    sat = saturation[(best, sigma)]
    rate = comparison_rate(rates, sat)
    mean, half, n = relative_latency(results, LEARNED, best, rate, sigma)
    reached = n > 0 and mean <= -GOAL_GAIN
    verdict = ("**reached**" if reached else "**not reached**")
    lines += [goal, ""]
    lines += markdown_table(["best heuristic (highest saturation)", "saturation (jobs/ms)",
                             "rate compared", "pairs", "relative latency", "goal"],
                            [[best, f"{sat:g}", f"{rate:g}", str(n), _relative(mean, half, n),
                              verdict]])
    lines.append("")
    if not reached:
        lines += [f"The learned scheduler does **not** reach the goal: its mean latency is not "
                  f"{GOAL_GAIN:.0%} below {best}'s at {rate:g} jobs/ms and sigma {sigma:g}.", ""]
    return lines + _by_rate_table(results, best, rates)


def _by_rate_table(results: pd.DataFrame, reference: str, rates: Sequence[float]) -> list[str]:
    """``learned / reference - 1`` at every swept rate and noise level, paired by seed."""
    table = [[f"{rate:g}"] + [_relative(*relative_latency(results, LEARNED, reference, rate,
                                                          sigma)) for sigma in SIGMAS]
             for rate in rates]
    return [f"Relative mean latency against {reference} at every swept rate (paired by seed, "
            "mean ± 95 % interval):", ""] + markdown_table(
        ["rate (jobs/ms)"] + [f"sigma {x:g}" for x in SIGMAS], table) + [""]


def _relative(mean: float, half: float, pairs: int) -> str:
    """A relative latency cell: ``-`` without pairs."""
    return "-" if pairs == 0 else f"{mean:+.1%} ± {half:.1%}"


def _dag_section(dags: pd.DataFrame) -> list[str]:
    lines = ["## Single DAGs: list schedulers against CP-SAT", "",
             "Random layered DAGs (`RandomDAGGenerator`, 10-12 tasks, CCR 1) on random platforms "
             "of 3 or 4 PEs (3 types); CP-SAT with one worker, seed 0, warm-started from HEFT. "
             "Makespans in µs; *gap* is HEFT over the CP-SAT bound.", ""]
    table = []
    for _, row in dags.iterrows():
        gap = row["heft"] / row["cpsat_bound"] - 1 if row["cpsat_bound"] > 0 else float("nan")
        cpsat = "-" if pd.isna(row["cpsat"]) else f"{row['cpsat']:.1f}"
        table.append([str(row["dag"]), str(row["n_tasks"]), str(row["n_edges"]),
                      str(row["n_pes"]), f"{row['heft']:.1f}", f"{row['peft']:.1f}",
                      f"{row['cpop']:.1f}", cpsat, f"{row['cpsat_bound']:.1f}",
                      str(row["cpsat_status"]), f"{gap:.1%}", f"{row['cpsat_wall_s']:.2f}"])
    lines += markdown_table(["DAG", "tasks", "edges", "PEs", "HEFT", "PEFT", "CPOP", "CP-SAT",
                             "bound", "status", "HEFT gap", "CP-SAT s"], table)
    if not dags.empty:
        bound = dags["cpsat_bound"]
        lines += ["", "Mean ratio to the CP-SAT bound: " + ", ".join(
            f"{name} {float((dags[col] / bound).mean()):.3f}"
            for name, col in (("HEFT", "heft"), ("PEFT", "peft"), ("CPOP", "cpop"),
                              ("CP-SAT", "cpsat"))) + "."]
    return lines + [""]


def render(results: pd.DataFrame, dags: pd.DataFrame, speed: list[dict[str, Any]], command: str,
           plot: str | None, setup: dict[str, Any]) -> str:
    """The markdown of ``benchmarks/results/soc.md``."""
    rates = tuple(float(r) for r in setup["rates"])
    saturation = saturation_table(results)
    lines = ["# SoC scheduling: online schedulers, single DAGs and speed", ""]
    lines += header_lines(command) + [""]
    lines += [
        f"Streams: DS3's default 16-PE platform and six-application mix, {setup['n_jobs']} "
        f"Poisson jobs per run, the first {WARMUP_SHARE:.0%} left out of the metrics, "
        f"injection rates {', '.join(f'{r:g}' for r in rates)} jobs/ms, Gaussian "
        f"execution-time noise sigma {', '.join(f'{s:g}' for s in SIGMAS)}, seeds "
        f"0..{int(setup['seeds']) - 1}; every scheduler sees the same jobs for a (rate, sigma, "
        f"seed). Values are mean ± 95 % interval over seeds. HEFT_RT runs up to "
        f"{HEFT_RT_MAX_RATE:g} jobs/ms only: its re-planning cost grows with the backlog past "
        f"saturation.", "",
        f"Saturation rate: the highest swept rate such that it and every lower rate are "
        f"sustained, a rate being sustained when the mean throughput is at least "
        f"{THROUGHPUT_SHARE:.0%} of the realised arrival rate of the measured jobs and the mean "
        f"latency at most {LATENCY_FACTOR:g}x the "
        f"latency at the lowest swept rate.", ""]
    table = [[scheduler] + ["-" if not np.isfinite(value) else f"{value:g}"
                            for value in (saturation.get((scheduler, sigma), float("nan"))
                                          for sigma in SIGMAS)]
             for scheduler in dict.fromkeys(results["scheduler"])]
    lines += ["## Saturation rate (jobs/ms)", ""]
    lines += markdown_table(["scheduler"] + [f"sigma {s:g}" for s in SIGMAS], table)
    lines.append("")
    lines += _agent_section(results, saturation, rates, setup.get("learned_missing"))
    lines += ["## Latency, throughput and energy against injection rate", ""]
    if plot:
        lines += [f"![mean latency against injection rate]({plot})", ""]
    lines += _stream_tables(results)
    lines += _dag_section(dags)
    if speed:
        columns = ["what", "ours", "peer", "ratio", "target", "met"]
        lines += ["## Speed, side by side in one run", ""]
        lines += markdown_table(columns, [[str(rec[c]) for c in columns] for rec in speed])
        lines.append("")
    return "\n".join(lines)

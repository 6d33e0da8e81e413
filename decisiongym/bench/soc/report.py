"""The SoC results file, rendered from the benchmark's CSV records alone
(:func:`decisiongym.bench.record.read_frame` of ``soc.csv`` and ``soc_dags.csv``), and the
latency plot.

A stream record's objective is the mean job latency (µs) of the measured jobs; its ``extra``
holds the rate, the noise sigma, the p95 latency, the throughput, the realised arrival rate
(``offered``), the energy and the completed jobs. A DAG record's objective is its makespan
(µs), one record per (DAG, method).

Saturation (:func:`saturation_rate`): a rate *sustains* a scheduler when its mean throughput is
at least 95 % of the realised arrival rate of the measured jobs and its mean latency at most 3x
its latency at the lowest swept rate; the saturation rate is the highest swept rate such that it
and every lower rate are sustained. Both tests are needed: on a finite stream the backlog drains
after the last arrival, so throughput alone understates overload, and latency alone misses a
scheduler that is slow from the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import markdown_table
from decisiongym.bench.soc.ds3_mode import ds3_section
from decisiongym.bench.soc.grid import (
    DAG_METHODS,
    HEFT_RT_MAX_RATE,
    HEURISTICS,
    LEARNED,
    SIGMAS,
    WARMUP_SHARE,
)
from decisiongym.bench.stats import mean_interval
from decisiongym.envs.core.files import write_figure_atomic

THROUGHPUT_SHARE = 0.95
LATENCY_FACTOR = 3.0
LOAD_SHARE = 0.8
GOAL_GAIN = 0.05
# the stream records' objective: mean latency of the measured jobs, µs
MEAN_LATENCY = "objective"


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
    means = (results.groupby(["method", "sigma", "rate"], sort=False)
             [["throughput", MEAN_LATENCY, "offered"]].mean().reset_index())
    table = {}
    for (scheduler, sigma), rows in means.groupby(["method", "sigma"], sort=False):
        table[(str(scheduler), float(sigma))] = saturation_rate(
            rows["rate"].tolist(), rows["throughput"].tolist(), rows[MEAN_LATENCY].tolist(),
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
    a = rows[rows["method"] == scheduler].set_index("seed")[MEAN_LATENCY]
    b = rows[rows["method"] == reference].set_index("seed")[MEAN_LATENCY]
    a, b = a.align(b, join="inner")
    if a.empty:
        return float("nan"), float("nan"), 0
    mean, half = mean_interval((a / b - 1.0).to_numpy())
    return mean, half, len(a)


def plot_latency(results: pd.DataFrame, path: Path) -> Path:
    """Mean job latency (95 % band) against injection rate, one panel per sigma, one line per
    scheduler, log scale (overload latencies are orders of magnitude above low-load ones)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    sigmas = sorted(results["sigma"].unique())
    schedulers = list(dict.fromkeys(results["method"]))
    palette = plt.get_cmap("tab10")
    colour = {s: palette(i % palette.N) for i, s in enumerate(schedulers)}
    fig, axes = plt.subplots(1, len(sigmas), figsize=(4.5 * len(sigmas), 3.5), squeeze=False,
                             sharey=True)
    for ax, sigma in zip(axes.flat, sigmas):
        for scheduler in schedulers:
            rows = results[(results["sigma"] == sigma) & (results["method"] == scheduler)]
            if rows.empty:
                continue
            stats = [(rate, *mean_interval(g[MEAN_LATENCY]))
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
    try:
        write_figure_atomic(fig, path, dpi=90)
    finally:
        plt.close(fig)
    return path


def _cell(values: pd.Series, fmt: str) -> str:
    mean, half = mean_interval(values.to_numpy())
    return f"{mean:{fmt}} ± {half:{fmt}}"


def _stream_tables(results: pd.DataFrame) -> list[str]:
    lines = []
    for sigma in sorted(results["sigma"].unique()):
        rows = results[results["sigma"] == sigma]
        table = [[scheduler, f"{rate:g}", str(len(g)), _cell(g[MEAN_LATENCY], ".0f"),
                  _cell(g["latency_p95_us"], ".0f"), _cell(g["throughput"], ".2f"),
                  _cell(g["energy_j"], ".4f"), f"{g['cpu_s'].mean():.3f}"]
                 for scheduler in dict.fromkeys(rows["method"])
                 for rate, g in rows[rows["method"] == scheduler].groupby("rate")]
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
        rows = results[(results["method"] == s) & (results["sigma"] == sigma)
                       & (results["rate"] == rate)]
        return float(rows[MEAN_LATENCY].mean()) if not rows.empty else float("inf")

    return min(sats, key=lambda s: (-sats[s], latency_at(s)))


def _agent_section(results: pd.DataFrame, saturation: dict[tuple[str, float], float],
                   rates: Sequence[float], missing: str | None) -> list[str]:
    lines = ["## The learned scheduler against the heuristics", ""]
    if LEARNED not in set(results["method"]):
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


def dag_table(dags: pd.DataFrame) -> pd.DataFrame:
    """One row per DAG from its records (one per method of :data:`DAG_METHODS`): ``dag``,
    ``n_tasks``, ``n_edges``, ``n_pes``, each method's makespan under its own name, and
    CP-SAT's ``cpsat_bound``, ``cpsat_status`` and ``cpsat_wall_s``."""
    rows = []
    for dag, records in dags.groupby("dag", sort=False):
        by_method = records.set_index("method")
        first, exact = records.iloc[0], by_method.loc["cpsat"]
        rows.append({"dag": dag, "n_tasks": first["n_tasks"], "n_edges": first["n_edges"],
                     "n_pes": first["n_pes"],
                     **{method: by_method.loc[method, "objective"] for method in DAG_METHODS},
                     "cpsat_bound": exact["bound"], "cpsat_status": exact["status"],
                     "cpsat_wall_s": exact["wall_s"]})
    return pd.DataFrame(rows, columns=["dag", "n_tasks", "n_edges", "n_pes", *DAG_METHODS,
                                       "cpsat_bound", "cpsat_status", "cpsat_wall_s"])


def _dag_section(records: pd.DataFrame) -> list[str]:
    dags = dag_table(records)
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
           plot: str | None, setup: dict[str, Any], ds3: pd.DataFrame | None = None) -> str:
    """The markdown of ``benchmarks/results/soc.md``.

    :param results: the stream records (``soc.csv``).
    :param dags: the single-DAG records (``soc_dags.csv``).
    :param speed: the speed table's rows.
    :param command: the command line named in the header.
    :param plot: the latency plot's file name, beside the markdown.
    :param setup: ``seeds``, ``n_jobs``, ``rates`` and ``learned_missing`` (why no learned
        scheduler ran, or None).
    :param ds3: the DS3-mode sweep (``soc_ds3.csv``,
        :func:`~decisiongym.bench.soc.ds3_mode.run_ds3_sweep`); its section is left out when
        None.
    """
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
    n_valid = int(results["valid"].sum() + dags["valid"].sum())
    lines += [f"Every schedule was re-checked by `validate` (each stream's trace against its "
              f"jobs' arrivals and noisy durations, each DAG's against its graph): {n_valid} of "
              f"{len(results) + len(dags)} valid.", ""]
    table = [[scheduler] + ["-" if not np.isfinite(value) else f"{value:g}"
                            for value in (saturation.get((scheduler, sigma), float("nan"))
                                          for sigma in SIGMAS)]
             for scheduler in dict.fromkeys(results["method"])]
    lines += ["## Saturation rate (jobs/ms)", ""]
    lines += markdown_table(["scheduler"] + [f"sigma {s:g}" for s in SIGMAS], table)
    lines.append("")
    lines += _agent_section(results, saturation, rates, setup.get("learned_missing"))
    lines += ["## Latency, throughput and energy against injection rate", ""]
    if plot:
        lines += [f"![mean latency against injection rate]({plot})", ""]
    lines += _stream_tables(results)
    if ds3 is not None:
        lines += ds3_section(ds3)
    lines += _dag_section(dags)
    if speed:
        columns = ["what", "ours", "peer", "ratio", "target", "met"]
        lines += ["## Speed, side by side in one run", ""]
        lines += markdown_table(columns, [[str(rec[c]) for c in columns] for rec in speed])
        lines.append("")
    return "\n".join(lines)

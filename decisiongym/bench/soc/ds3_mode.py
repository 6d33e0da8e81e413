"""The SoC benchmark's DS3-mode table: DS3's ETF, MET and STF in the simulator's ``ds3`` mode over
an injection-rate sweep on the WiFi TX/RX mix, beside the points DS3 published for the same
setting.

The setting is DS3's ``config_file_scheduling.ini`` (github.com/segemena/DS3): its 16-PE SoC
(:func:`~decisiongym.envs.soc.builtin.default_platform`), WiFi-TX with probability 0.8 and
WiFi-RX with 0.2, no execution-time noise, at most 12 jobs in flight. As DS3 reports it, the
*injection rate* is the rate at which jobs entered over the measured window (here the measured
jobs, all of which complete, over the span from the first one's entry to the last completion,
i.e. the run's throughput), and a job's latency runs from its entry to its completion. With the
cap, offering more jobs than the SoC can take only delays them at the door: the injection rate
levels off at the *saturation rate*, the highest mean injection rate of the sweep, where the
latency levels off too (at most 12 jobs in flight). At low load the latency is a job's own
makespan.

DS3's published points are read off the "Injection Rate vs Avg. Execution Time" figure of its
documentation (segemena/DS3, ``html/WiFi_Exec.png``): MET saturates near 13 jobs/ms at about
800 µs, ETF near 16.5 jobs/ms at about 560 µs, and at low load the schedulers give 105-135 µs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from decisiongym.bench.markdown import markdown_table

if TYPE_CHECKING:
    import pandas as pd

DS3_MIX: tuple[tuple[str, float], ...] = (("wifi_tx", 0.8), ("wifi_rx", 0.2))
"""The WiFi TX/RX mix of DS3's scheduling example and figure."""

DS3_SWEEP_SCHEDULERS: tuple[str, ...] = ("etf", "met", "stf")
DS3_SWEEP_RATES: tuple[float, ...] = (1.0, 4.0, 8.0, 10.0, 12.0, 13.0, 14.0, 16.0, 18.0, 20.0,
                                      24.0, 30.0, 40.0, 60.0)
QUICK_DS3_RATES: tuple[float, ...] = (1.0, 10.0, 20.0, 40.0)
DS3_SWEEP_JOBS = 1000
QUICK_DS3_JOBS = 500
DS3_SWEEP_SEEDS = 3
WARMUP_SHARE = 0.1

DS3_PUBLISHED: dict[str, tuple[float, float]] = {"met": (13.0, 800.0), "etf": (16.5, 560.0)}
"""DS3's saturation rate (jobs/ms) and the mean latency there (µs), per scheduler."""

DS3_LOW_LOAD_US: tuple[float, float] = (105.0, 135.0)
"""DS3's mean latency range at low load, over its schedulers (µs)."""


def run_ds3_sweep(quick: bool = False) -> pd.DataFrame:
    """Simulate every (scheduler, rate, seed) of the sweep in the ds3 mode; one row each:
    ``scheduler``, ``rate`` (offered, jobs/ms), ``seed``, ``injection`` (achieved, jobs/ms),
    ``latency_mean_us``, ``completed`` and ``valid`` (the trace re-checked by
    :func:`~decisiongym.envs.soc.solution.validate` against the jobs' entries).

    :param quick: a smoke run: :data:`QUICK_DS3_RATES`, :data:`QUICK_DS3_JOBS` jobs, one seed.
    """
    import pandas as pd

    from decisiongym.baselines.soc.online import simulate
    from decisiongym.envs.core.errors import ValidationError
    from decisiongym.envs.soc.builtin import default_platform, load_application
    from decisiongym.envs.soc.solution import validate
    from decisiongym.envs.soc.workload import poisson_workload

    platform = default_platform()
    apps = [load_application(name) for name, _ in DS3_MIX]
    probabilities = [p for _, p in DS3_MIX]
    rates = QUICK_DS3_RATES if quick else DS3_SWEEP_RATES
    n_jobs = QUICK_DS3_JOBS if quick else DS3_SWEEP_JOBS
    rows = []
    for scheduler in DS3_SWEEP_SCHEDULERS:
        for rate in rates:
            for seed in range(1 if quick else DS3_SWEEP_SEEDS):
                workload = poisson_workload(apps, probabilities, rate, n_jobs,
                                            np.random.default_rng(seed))
                result = simulate(platform, workload, scheduler, mode="ds3",
                                  warmup_jobs=int(WARMUP_SHARE * n_jobs))
                try:
                    validate(platform, workload.applications, result.trace, workload.job_app,
                             result.arrival, durations=result.durations)
                    valid = True
                except ValidationError:
                    valid = False
                rows.append({"scheduler": scheduler, "rate": rate, "seed": seed,
                             "injection": float(result.throughput_jobs_per_ms),
                             "latency_mean_us": float(result.latency_mean_us),
                             "completed": int(result.completed_jobs), "valid": valid})
    return pd.DataFrame.from_records(rows)


def saturation_points(sweep: pd.DataFrame) -> dict[str, tuple[float, float, float]]:
    """Per scheduler: ``(saturation rate, mean latency there, offered rate there)``, the
    saturation rate being the highest mean injection rate over the swept offered rates."""
    means = sweep.groupby(["scheduler", "rate"], sort=False)[["injection", "latency_mean_us"]]
    table = means.mean().reset_index()
    points = {}
    for scheduler, group in table.groupby("scheduler", sort=False):
        best = group.loc[group["injection"].idxmax()]
        points[str(scheduler)] = (float(best["injection"]), float(best["latency_mean_us"]),
                                  float(best["rate"]))
    return points


def ds3_section(sweep: pd.DataFrame) -> list[str]:
    """The markdown section of ``soc.md``: the sweep, the saturation points beside DS3's, and
    the low-load latency."""
    n_seeds = int(sweep["seed"].nunique())
    rates = sorted(float(r) for r in sweep["rate"].unique())
    lines = ["## DS3 mode: DS3's schedulers against DS3's published curve", "",
             "DS3's own semantics (`mode=\"ds3\"`, `decisiongym simulate soc --mode ds3`: its "
             "MET, STF and ETF with their tie-breaks, back-filling from the oldest job, at most "
             "12 jobs in flight, latency from each job's entry) on its 16-PE SoC and WiFi TX/RX "
             f"mix (p_TX 0.8, no noise), offered rates {', '.join(f'{r:g}' for r in rates)} "
             f"jobs/ms, seeds 0..{n_seeds - 1}, the first {WARMUP_SHARE:.0%} of the jobs left "
             "out. Injection rate: measured jobs over the span from the first one's entry to "
             "the last completion, as DS3 reports it; the saturation rate is its highest mean "
             "over the sweep. DS3's points are read off its documentation's figure "
             "(segemena/DS3 `html/WiFi_Exec.png`).", ""]
    n_valid = int(sweep["valid"].sum())
    lines += [f"Every trace re-checked by `validate` against the jobs' entries: {n_valid} of "
              f"{len(sweep)} valid.", ""]
    points = saturation_points(sweep)
    table = []
    for scheduler, (rate, latency, offered) in points.items():
        published = DS3_PUBLISHED.get(scheduler)
        if published is None:
            theirs, ratio = "-", "-"
        else:
            theirs = f"{published[0]:g} jobs/ms at {published[1]:.0f} µs"
            ratio = (f"{rate / published[0] - 1:+.0%} rate, "
                     f"{latency / published[1] - 1:+.0%} latency")
        table.append([scheduler, f"{rate:.2f} jobs/ms at {latency:.0f} µs (offered {offered:g})",
                      theirs, ratio])
    lines += markdown_table(["scheduler", "ours: saturation", "DS3 (published)", "ours vs DS3"],
                            table)
    lowest = rates[0]
    low = sweep[sweep["rate"] == lowest].groupby("scheduler", sort=False)["latency_mean_us"]
    low_text = ", ".join(f"{s} {v:.0f} µs" for s, v in low.mean().items())
    lines += ["", f"Low load ({lowest:g} jobs/ms): {low_text}; DS3 gives "
              f"{DS3_LOW_LOAD_US[0]:.0f}-{DS3_LOW_LOAD_US[1]:.0f} µs.", ""]
    curve = sweep.groupby(["rate", "scheduler"], sort=False)[["injection", "latency_mean_us"]]
    means = curve.mean()
    schedulers = list(dict.fromkeys(sweep["scheduler"]))
    rows = [[f"{rate:g}"] + [
        f"{means.loc[(rate, s), 'injection']:.2f} / {means.loc[(rate, s), 'latency_mean_us']:.0f}"
        if (rate, s) in means.index else "-" for s in schedulers] for rate in rates]
    lines += ["Injection rate (jobs/ms) / mean latency (µs) against the offered rate:", ""]
    lines += markdown_table(["offered (jobs/ms)"] + schedulers, rows)
    lines.append("")
    return lines

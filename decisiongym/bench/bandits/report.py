"""The bandit benchmark: suites of envs x agents x seeds, tables rendered from the CSV records,
regret-curve plots, and the speed table beside the peers."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.bandits.grid import BanditSuite
from decisiongym.bench.bandits.metrics import win_rates
from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import markdown_table
from decisiongym.bench.stats import mean_interval

BERNOULLI_AGENTS = ("epsilon-greedy", "ucb1", "ts", "linucb")
GAUSSIAN_AGENTS = ("epsilon-greedy", "ucb1", "ts-gaussian", "linucb")
CONTEXTUAL_AGENTS = ("epsilon-greedy", "linucb", "lints", "squarecb", "fastcb", "squarecb-nn",
                     "fastcb-nn", "neuralucb", "neuralts", "neucb-sq", "neucb-kl")
CLASSIFICATION_AGENTS = ("linucb", "lints", "squarecb", "fastcb", "neuralucb", "neuralts",
                         "neucb-sq", "neucb-kl")
SOR_AGENTS = ("ucb1", "exp3", "tsallis-inf", "chebcb")
FAIRNESS_AGENTS = ("exp2", "ftpl-semibandit")
SUITE_NAMES = ("mab", "contextual", "classification", "sor", "fairness")
# Reward ranges handed to the agents that model [0, 1] rewards (noise tails are clipped).
CONTEXTUAL_RANGES = {
    "decisiongym/ContextualBandit-Linear-v0": (-1.3, 1.3),
    "decisiongym/ContextualBandit-Quadratic-v0": (-0.3, 10.3),
    "decisiongym/ContextualBandit-Cosine-v0": (-1.3, 1.3),
}


def default_suites(quick: bool = False) -> dict[str, list[BanditSuite]]:
    """The benchmark's suites (short horizons with ``quick``)."""
    from decisiongym.envs.bandits.ids import BANDIT_ENVS

    ids = [entry[0] for entry in BANDIT_ENVS]
    bernoulli = tuple(i for i in ids if i.startswith("decisiongym/MAB-Bernoulli"))
    gaussian = tuple(i for i in ids if i.startswith("decisiongym/MAB-Gaussian"))
    contextual = tuple(i for i in ids if i.startswith("decisiongym/ContextualBandit-"))
    classification = tuple(i for i in ids if i.startswith("decisiongym/ClassificationBandit-")
                           and not i.endswith("ClassificationBandit-v0"))
    if quick:
        bernoulli, gaussian = bernoulli[:2], gaussian[:2]
    short = 4 if quick else 1
    sor = ("decisiongym/SORRelaxation-High-v0", "decisiongym/SORRelaxation-Low-v0")
    return {
        "mab": [BanditSuite("mab", bernoulli, BERNOULLI_AGENTS),
                BanditSuite("mab", gaussian, GAUSSIAN_AGENTS)],
        "contextual": [BanditSuite("contextual", contextual, CONTEXTUAL_AGENTS, 2000 // short,
                                   reward_ranges=CONTEXTUAL_RANGES)],
        "classification": [BanditSuite("classification", classification,
                                       CLASSIFICATION_AGENTS, 2000 // short)],
        "sor": [BanditSuite("sor", sor, SOR_AGENTS, 2000 // short)],
        "fairness": [BanditSuite("fairness", ("decisiongym/OneSidedFairness-v0",),
                                 FAIRNESS_AGENTS, 1000 // short)],
    }


def run_benchmark(
    seeds: int = 10,
    suites: Sequence[str] | None = None,
    quick: bool = False,
    processes: int = 2,
    out_dir: str | Path = "benchmarks/results",
    command: str = "decisiongym bench bandits",
    backend: str = "local",
    address: str | None = None,
    speed: bool = True,
) -> Path:
    """Run the suites, write ``bandits.csv``, ``bandits_speed.csv``, one regret plot per suite
    and ``bandits.md`` into ``out_dir``; return the markdown path."""
    from decisiongym.bench.bandits.grid import run_cell
    from decisiongym.bench.runner import run_grid

    chosen = list(suites or SUITE_NAMES)
    unknown = [s for s in chosen if s not in SUITE_NAMES]
    if unknown:
        raise ValueError(f"unknown suites {unknown}; choose from {', '.join(SUITE_NAMES)}")
    if quick:
        seeds = min(seeds, 2)
    table = default_suites(quick)
    cells = [cell for name in chosen for suite in table[name] for cell in suite.cells(seeds)]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    records = run_grid(cells, run_cell, lambda c: f"{c.agent} {c.env_id.split('/')[-1]}",
                       backend=backend, processes=processes, address=address, title="bandits")
    results = pd.DataFrame.from_records(records)
    results["curve_t"] = results["curve_t"].map(json.dumps)
    results["curve_regret"] = results["curve_regret"].map(json.dumps)
    results.to_csv(out / "bandits.csv", index=False)
    references = sor_references(seeds) if "sor" in chosen else []
    speed_records = measure_speed() if speed else []
    if speed_records:
        pd.DataFrame.from_records(speed_records).to_csv(out / "bandits_speed.csv", index=False)
    plots = [plot_suite(results, name, out) for name in chosen]
    markdown = render(results, references, speed_records, command,
                      [p.name for p in plots if p is not None])
    path = out / "bandits.md"
    path.write_text(markdown)
    return path


def sor_references(seeds: int) -> list[dict[str, Any]]:
    """Best fixed omega and instance-optimal iterations on the SOR families (reference lines)."""
    from decisiongym.baselines.bandits.relaxation import (
        best_fixed_omega,
        instance_optimal_iterations,
    )

    rows = []
    for family in ("high", "low"):
        omega, fixed = best_fixed_omega(family=family, grid=10, n_instances=500, seed=seeds)
        optimal = instance_optimal_iterations(family=family, grid=10, n_instances=500,
                                              seed=seeds)
        rows.append({"family": family, "best_fixed_omega": omega,
                     "best_fixed_iterations": fixed, "instance_optimal": optimal})
    return rows


def measure_speed() -> list[dict[str, Any]]:
    """LinUCB against MABWiser and SOR against scipy, measured in this run, as table rows."""
    from decisiongym.bench.bandits.linucb_speed import measure_linucb_speed
    from decisiongym.bench.bandits.sor_speed import measure_sor_speed

    lin = measure_linucb_speed()
    sor = measure_sor_speed()
    peer = ("not installed" if lin["mabwiser"] is None
            else f"{lin['mabwiser']:,.0f} (MABWiser {lin['mabwiser_version']})")
    return [
        {"what": f"LinUCB online loop, {lin['n_arms']} arms x {lin['dim']} features "
                 "(decisions/s, act + update)",
         "ours": f"{lin['ours']:,.0f}", "peer": peer,
         "ratio": "-" if lin["ratio"] is None else f"{lin['ratio']:.0f}x"},
        {"what": f"SOR solve, {sor['grid']}x{sor['grid']} grid, omega {sor['omega']:.3f}, "
                 f"{sor['iterations_numba']} iterations (ms per solve)",
         "ours": f"{1e3 * sor['numba_seconds']:.2f}",
         "peer": f"{1e3 * sor['scipy_seconds']:.1f} (scipy triangular solve)",
         "ratio": f"{sor['speedup']:.0f}x"},
    ]


def plot_suite(results: pd.DataFrame, suite: str, out: Path) -> Path | None:
    """Mean cumulative regret (95 % band) per agent, one panel per env of the suite."""
    rows = results[results["group"] == suite]
    if rows.empty:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    envs = list(dict.fromkeys(rows["env"]))
    cols = min(4, len(envs))
    nrows = int(np.ceil(len(envs) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows), squeeze=False)
    agents = list(dict.fromkeys(rows["agent"]))
    # One colour per agent across every panel; tab20 has room for every agent of a suite.
    palette = plt.get_cmap("tab10" if len(agents) <= 10 else "tab20")
    colour = {agent: palette(i % palette.N) for i, agent in enumerate(agents)}
    for ax, env in zip(axes.flat, envs):
        for agent, group in rows[rows["env"] == env].groupby("agent", sort=False):
            t = np.asarray(json.loads(group["curve_t"].iloc[0]))
            curves = np.stack([np.asarray(json.loads(c)) for c in group["curve_regret"]])
            mean = curves.mean(axis=0)
            half = (1.96 * curves.std(axis=0, ddof=1) / np.sqrt(len(curves))
                    if len(curves) > 1 else np.zeros_like(mean))
            ax.plot(t, mean, label=agent, linewidth=1.2, color=colour[agent])
            ax.fill_between(t, mean - half, mean + half, alpha=0.2, color=colour[agent])
        ax.set_title(env.split("/")[-1], fontsize=8)
        ax.set_xlabel("round", fontsize=7)
        ax.set_ylabel("cumulative regret", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in list(axes.flat)[len(envs):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=6)
    fig.tight_layout()
    path = out / f"bandits_{suite}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _cell(mean: float, half: float, digits: int = 1) -> str:
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def _win_rate_matrix(rows: pd.DataFrame) -> list[str]:
    """Pairwise win-rates of a suite, pooled over its envs and seeds: the row agent's share of
    (env, seed) runs where it ends with less regret than the column agent (ties half)."""
    agents = list(dict.fromkeys(rows["agent"]))
    if len(agents) < 2:
        return []
    wins = {a: {b: 0.0 for b in agents} for a in agents}
    counts = {a: {b: 0 for b in agents} for a in agents}
    for _, cell in rows.groupby("env", sort=False):
        finals = {a: g.set_index("seed")["regret"] for a, g in cell.groupby("agent", sort=False)}
        for a, ra in finals.items():
            for b, rb in finals.items():
                if a == b:
                    continue
                ra_, rb_ = ra.align(rb, join="inner")
                wins[a][b] += float((ra_ < rb_).sum() + 0.5 * (ra_ == rb_).sum())
                counts[a][b] += len(ra_)
    lines = ["Pairwise win-rate (row beats column), pooled over the suite's envs and seeds:", "",
             "| | " + " | ".join(agents) + " |", "|" + "---|" * (len(agents) + 1)]
    for a in agents:
        cells = ["-" if a == b or counts[a][b] == 0 else f"{wins[a][b] / counts[a][b]:.2f}"
                 for b in agents]
        lines.append(f"| {a} | " + " | ".join(cells) + " |")
    return lines + [""]


def render(results: pd.DataFrame, references: list[dict[str, Any]],
           speed: list[dict[str, Any]], command: str, plots: Sequence[str]) -> str:
    """The markdown of ``benchmarks/results/bandits.md``."""
    lines = ["# Bandits: regret of every agent on every suite", ""]
    lines += header_lines(command) + [""]
    lines += [
        "Regret is the cumulative pseudo-regret from each env's oracle (`info`), mean ± 95 % "
        "interval over seeds. *suffix fail*: share of runs that never play the best arm in the "
        "second half. *MinFrac*: K x the smallest share of rounds any arm got. *win rate*: share "
        "of (opponent, seed) pairs in the same env where the agent ends with less regret.", ""]
    for suite in SUITE_NAMES:
        rows = results[results["group"] == suite]
        if rows.empty:
            continue
        lines += [f"## {suite}", ""]
        extra = [c for c in rows.columns if c.endswith("_total") and rows[c].notna().any()]
        header = ["env", "agent", "T", "seeds", "regret", "1st half", "suffix fail", "MinFrac",
                  "win rate", "mean reward"] + [c.removesuffix("_total") + "/round"
                                                for c in extra] + ["decisions/s"]
        body = []
        for env in dict.fromkeys(rows["env"]):
            cell = rows[rows["env"] == env]
            finals = {a: g.sort_values("seed")["regret"].to_numpy()
                      for a, g in cell.groupby("agent", sort=False)}
            rates = win_rates(finals)
            for agent, group in cell.groupby("agent", sort=False):
                mean, half = mean_interval(group["regret"])
                opponents = rates.get(agent, {})
                rate = np.mean(list(opponents.values())) if opponents else float("nan")
                row = [env.split("/")[-1], agent, str(int(group["horizon"].iloc[0])),
                       str(len(group)), _cell(mean, half),
                       f"{group['regret_first_half'].mean():.1f}",
                       f"{group['suffix_failure'].mean():.2f}",
                       f"{group['min_frac'].mean():.2f}" if group["min_frac"].notna().any()
                       else "-",
                       f"{rate:.2f}", f"{group['reward_mean'].mean():.3f}"]
                for c in extra:
                    per_round = group[c] / group["horizon"]
                    row.append(f"{per_round.mean():.2f}" if per_round.notna().any() else "-")
                row.append(f"{group['decisions_per_s'].mean():,.0f}")
                body.append(row)
        lines += markdown_table(header, body)
        lines.append("")
        lines += _win_rate_matrix(rows)
        if suite == "sor" and references:
            lines += ["Reference lines (mean SOR iterations per system over 500 systems of the "
                      "same family): best fixed omega in hindsight, and the instance-optimal "
                      "omega of the grid for each system.", "",
                      "| family | best fixed omega | its iterations | instance-optimal |",
                      "|---|---|---|---|"]
            for ref in references:
                lines.append(f"| {ref['family']} | {ref['best_fixed_omega']:.2f} | "
                             f"{ref['best_fixed_iterations']:.1f} | "
                             f"{ref['instance_optimal']:.1f} |")
            lines.append("")
        plot = f"bandits_{suite}.png"
        if plot in plots:
            lines += [f"![{suite} regret curves]({plot})", ""]
    if speed:
        lines += ["## Speed, side by side in one run", "", "| what | ours | peer | ratio |",
                  "|---|---|---|---|"]
        for rec in speed:
            lines.append(f"| {rec['what']} | {rec['ours']} | {rec['peer']} | {rec['ratio']} |")
        lines.append("")
    return "\n".join(lines)

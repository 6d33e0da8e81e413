"""The bandit results file and its regret plots, rendered from the benchmark's CSV records
(:func:`decisiongym.bench.record.read_frame` of ``bandits.csv``).

A record's objective is the run's cumulative regret, its budget the horizon in rounds; its
``extra`` holds the suite (``group``), the other metrics and the regret curve (JSON lists).
The file is a preamble and a list of sections (:func:`render`), one per suite, then speed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.bandits.grid import SUITE_NAMES
from decisiongym.bench.bandits.mab_report import mab_tables
from decisiongym.bench.bandits.metrics import win_rates
from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import markdown_table
from decisiongym.bench.stats import mean_interval
from decisiongym.envs.core.files import write_figure_atomic

# the records' objective and budget, under the names the tables give them
REGRET = "objective"
HORIZON = "budget"


def plot_suite(results: pd.DataFrame, suite: str, out: Path) -> Path | None:
    """Mean cumulative regret (95 % band) per agent, one panel per env of the suite."""
    rows = results[results["group"] == suite]
    if rows.empty:
        return None
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    envs = list(dict.fromkeys(rows["instance"]))
    cols = min(4, len(envs))
    nrows = int(np.ceil(len(envs) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3 * nrows), squeeze=False)
    agents = list(dict.fromkeys(rows["method"]))
    # One colour per agent across every panel; tab20 has room for every agent of a suite.
    palette = plt.get_cmap("tab10" if len(agents) <= 10 else "tab20")
    colour = {agent: palette(i % palette.N) for i, agent in enumerate(agents)}
    for ax, env in zip(axes.flat, envs):
        for agent, group in rows[rows["instance"] == env].groupby("method", sort=False):
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
    try:
        write_figure_atomic(fig, path, dpi=90)
    finally:
        plt.close(fig)
    return path


def _cell(mean: float, half: float, digits: int = 1) -> str:
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def _win_rate_matrix(rows: pd.DataFrame) -> list[str]:
    """Pairwise win-rates of a suite, pooled over its envs and seeds: the row agent's share of
    (env, seed) runs where it ends with less regret than the column agent (ties half)."""
    agents = list(dict.fromkeys(rows["method"]))
    if len(agents) < 2:
        return []
    wins = {a: {b: 0.0 for b in agents} for a in agents}
    counts = {a: {b: 0 for b in agents} for a in agents}
    for _, cell in rows.groupby("instance", sort=False):
        finals = {a: g.set_index("seed")[REGRET] for a, g in cell.groupby("method", sort=False)}
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


def _preamble(command: str) -> list[str]:
    lines = ["# Bandits: regret of every agent on every suite", ""]
    lines += header_lines(command) + [""]
    return lines + [
        "Regret is the cumulative pseudo-regret from each env's oracle (`info`), mean ± 95 % "
        "interval over seeds. *suffix fail*: share of runs that never play the best arm in the "
        "second half. *MinFrac*: K x the smallest share of rounds any arm got. *win rate*: share "
        "of (opponent, seed) pairs in the same env where the agent ends with less regret.", ""]


# The cumulative regret against a second comparator, shown beside the regret (not per round).
FAIR_REGRET = "fair_regret_total"
# Headers of the per-round extras whose key does not read well as a column name.
PER_ROUND_HEADERS = {"oracle_violations_total": "oracle violations/round"}


def _suite_table(rows: pd.DataFrame) -> list[str]:
    """One line per (env, agent) of a suite, means over seeds."""
    present = [c for c in rows.columns if c.endswith("_total") and rows[c].notna().any()]
    fair = FAIR_REGRET in present
    extra = [c for c in present if c != FAIR_REGRET]
    header = (["env", "agent", "T", "seeds", "regret"] + (["regret vs fair"] if fair else [])
              + ["1st half", "suffix fail", "MinFrac", "win rate", "mean reward"]
              + [PER_ROUND_HEADERS.get(c, c.removesuffix("_total") + "/round") for c in extra]
              + ["decisions/s"])
    body = []
    for env in dict.fromkeys(rows["instance"]):
        cell = rows[rows["instance"] == env]
        finals = {a: g.sort_values("seed")[REGRET].to_numpy()
                  for a, g in cell.groupby("method", sort=False)}
        rates = win_rates(finals)
        for agent, group in cell.groupby("method", sort=False):
            mean, half = mean_interval(group[REGRET])
            opponents = rates.get(agent, {})
            rate = np.mean(list(opponents.values())) if opponents else float("nan")
            row = [env.split("/")[-1], agent, str(int(group[HORIZON].iloc[0])),
                   str(len(group)), _cell(mean, half)]
            if fair:
                row.append(_cell(*mean_interval(group[FAIR_REGRET]))
                           if group[FAIR_REGRET].notna().any() else "-")
            row += [f"{group['regret_first_half'].mean():.1f}",
                    f"{group['suffix_failure'].mean():.2f}",
                    f"{group['min_frac'].mean():.2f}" if group["min_frac"].notna().any()
                    else "-",
                    f"{rate:.2f}", f"{group['reward_mean'].mean():.3f}"]
            for c in extra:
                per_round = group[c] / group[HORIZON]
                row.append(f"{per_round.mean():.2f}" if per_round.notna().any() else "-")
            row.append(f"{group['decisions_per_s'].mean():,.0f}")
            body.append(row)
    return markdown_table(header, body) + [""]


def _sor_references(references: list[dict[str, Any]]) -> list[str]:
    if not references:
        return []
    lines = ["Reference lines (mean SOR iterations per system over 500 systems of the "
             "same family): best fixed omega in hindsight, and the instance-optimal "
             "omega of the grid for each system.", "",
             "| family | best fixed omega | its iterations | instance-optimal |",
             "|---|---|---|---|"]
    for ref in references:
        lines.append(f"| {ref['family']} | {ref['best_fixed_omega']:.2f} | "
                     f"{ref['best_fixed_iterations']:.1f} | "
                     f"{ref['instance_optimal']:.1f} |")
    return lines + [""]


def _fairness_note(rows: pd.DataFrame) -> list[str]:
    """What the fairness table's two comparators mean (only when its records carry them)."""
    if FAIR_REGRET not in rows.columns or not rows[FAIR_REGRET].notna().any():
        return []
    return ["*regret* is against the unconstrained Bayes-optimal policy, which ignores the "
            "auditors; *regret vs fair* against the best policy the round's panel reports no "
            "pair of (a linear program over the fairness constraints, solved each round: the "
            "one-sided fairness paper's fair comparator, taken round by round), negative where "
            "a learner gains by being unfair. *oracle violations/round*: the pairs the same "
            "panels report for the unconstrained oracle's decisions.", ""]


def suite_section(results: pd.DataFrame, suite: str, references: list[dict[str, Any]],
                  plots: Sequence[str]) -> list[str]:
    """A suite's section: its table, its win-rate matrix, the SOR reference lines (``sor``),
    the comparators' note (``fairness``) and its plot; nothing when the suite has no
    records. The ``mab`` records of BanditBench's ids get BanditBench's tables
    (:func:`~decisiongym.bench.bandits.mab_report.mab_tables`), any other the generic one."""
    rows = results[results["group"] == suite]
    if rows.empty:
        return []
    lines = [f"## {suite}", ""]
    others = rows
    if suite == "mab":
        mab_lines, others = mab_tables(rows)
        lines += mab_lines
    if not others.empty:
        lines += _suite_table(others)
    lines += _win_rate_matrix(rows)
    if suite == "fairness":
        lines += _fairness_note(rows)
    if suite == "sor":
        lines += _sor_references(references)
    plot = f"bandits_{suite}.png"
    if plot in plots:
        lines += [f"![{suite} regret curves]({plot})", ""]
    return lines


def speed_section(speed: list[dict[str, Any]]) -> list[str]:
    """The speed table, side by side with the peers; nothing without measurements."""
    if not speed:
        return []
    lines = ["## Speed, side by side in one run", "", "| what | ours | peer | ratio |",
             "|---|---|---|---|"]
    for rec in speed:
        lines.append(f"| {rec['what']} | {rec['ours']} | {rec['peer']} | {rec['ratio']} |")
    return lines + [""]


def render(results: pd.DataFrame, references: list[dict[str, Any]],
           speed: list[dict[str, Any]], command: str, plots: Sequence[str]) -> str:
    """The markdown of ``benchmarks/results/bandits.md``: the preamble, then its sections in
    order, each a list of lines (empty when it has nothing to show).

    :param results: the records (``bandits.csv``).
    :param references: the SOR reference lines.
    :param speed: the speed table's rows.
    :param command: the command line named in the header.
    :param plots: the file names of the regret plots beside the markdown.
    """
    sections = [suite_section(results, suite, references, plots) for suite in SUITE_NAMES]
    sections.append(speed_section(speed))
    return "\n".join(_preamble(command) + [line for section in sections for line in section])

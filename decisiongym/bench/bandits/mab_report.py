"""The ``mab`` section of the bandit results: BanditBench's tasks as BanditBench defines them,
and per task and agent the regret on the task's fixed instance beside the regret with arms
redrawn every episode.

Each of BanditBench's 16 tasks is registered twice (:mod:`decisiongym.envs.bandits.ids`): its
fixed instance (``-v1``, the arms BanditBench draws from the task's seed, played over
BanditBench's trial seeds) and the same setting redrawn at every reset (``-Redraw-v0``, played
over seeds 0..n-1). Records are matched to their task through the ids' own ``config`` and
``instance`` arguments, so nothing here retypes a list of tasks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from decisiongym.bench.bandits.metrics import win_rates
from decisiongym.bench.markdown import markdown_table
from decisiongym.bench.stats import mean_interval

# the records' objective, under the name the tables give it
REGRET = "objective"

COMPARABLE_NOTE = (
    "**Which column compares with which paper.** The *fixed* columns are comparable with "
    "BanditBench's published numbers (Nie et al., EVOLvE, FullBench): the same arms, drawn "
    "from the task's FullBench seed by BanditBench's rule, and the same trials, whose reward "
    "noise is seeded with BanditBench's trial seeds of the task; regret is mean ± standard "
    "deviation (ddof 0) over the trials. The *redraw* columns draw new arms every episode "
    "(the `-Redraw-v0` ids, how these ids behaved before they became BanditBench's "
    "instances): mean ± 95 % interval over seeds, the expected regret over BanditBench's "
    "distribution of instances, which no published table reports (a Video task and its "
    "Clothes twin share one setting, so their redraw columns are the same measurement). On a "
    "fixed instance the order of the arms is part of an agent's luck: an agent that tries or "
    "ties arms in index order starts on the best arm where the instance puts it first (arm 0 "
    "of Bernoulli-Easy-K5, both scenarios); the redraw columns average that out.")


def mab_task(env_id: str) -> tuple[str, str] | None:
    """``(config, instance)`` of a registered BanditBench id (``("gaussian-hard-k5-video",
    "fixed")``), ``None`` for any other id."""
    from decisiongym.envs.bandits.ids import FAMILY

    for env in FAMILY.envs:
        if env.id == env_id and "config" in env.kwargs and "instance" in env.kwargs:
            return str(env.kwargs["config"]), str(env.kwargs["instance"])
    return None


def task_label(config: str) -> str:
    """``"gaussian-hard-k5-video"`` as the ids spell it: ``"Gaussian-Hard-K5-Video"``."""
    return "-".join(part.capitalize() for part in config.split("-"))


def _definition_row(config_name: str) -> list[str]:
    from decisiongym.envs.bandits.mab import MAB_CONFIGS

    config = MAB_CONFIGS[config_name]
    means = config.instance_means()
    ranked = np.sort(means)
    best = int(np.argmax(means))
    return [task_label(config_name), str(config.instance_seed), str(config.n_arms),
            str(config.horizon), str(best), f"{means[best]:.3f}",
            f"{ranked[-1] - ranked[-2]:.3f}"]


def definitions_table(configs: list[str]) -> list[str]:
    """BanditBench's definition of each task: its seed, arms, horizon and the instance's best
    arm, best mean and gap to the runner-up."""
    header = ["task", "FullBench seed", "K", "T", "best arm", "best mean", "gap to next"]
    return markdown_table(header, [_definition_row(c) for c in configs]) + [""]


def _sd_cell(values: np.ndarray) -> str:
    return f"{values.mean():.1f} ± {values.std():.1f}"


def _ci_cell(values: np.ndarray) -> str:
    mean, half = mean_interval(values)
    return f"{mean:.1f} ± {half:.1f}"


def _win_rates(rows: pd.DataFrame) -> dict[str, float]:
    """Each agent's mean pairwise win-rate against the others on one env (paired by seed)."""
    finals = {a: g.sort_values("seed")[REGRET].to_numpy()
              for a, g in rows.groupby("method", sort=False)}
    rates = win_rates(finals)
    return {a: float(np.mean(list(r.values()))) if r else float("nan")
            for a, r in rates.items()}


def regret_table(rows: pd.DataFrame, tasks: dict[str, tuple[str, str]]) -> list[str]:
    """Per task and agent: regret on the fixed instance (mean ± sd over trials) with its
    suffix-failure share, MinFrac and win rate, beside the redraw regret (mean ± 95 %)."""
    header = ["task", "agent", "T", "fixed: regret", "trials", "fixed: suffix fail",
              "fixed: MinFrac", "fixed: win rate", "redraw: regret", "seeds",
              "redraw: win rate"]
    by_task: dict[str, dict[str, pd.DataFrame]] = {}
    for env_id, (config, instance) in tasks.items():
        by_task.setdefault(config, {})[instance] = rows[rows["instance"] == env_id]
    body = []
    for config, modes in by_task.items():
        fixed, redraw = modes.get("fixed"), modes.get("redraw")
        fixed_rates = _win_rates(fixed) if fixed is not None else {}
        redraw_rates = _win_rates(redraw) if redraw is not None else {}
        agents = dict.fromkeys(
            list(fixed["method"] if fixed is not None else [])
            + list(redraw["method"] if redraw is not None else []))
        for agent in agents:
            row = [task_label(config), agent]
            f = fixed[fixed["method"] == agent] if fixed is not None else None
            r = redraw[redraw["method"] == agent] if redraw is not None else None
            played = f if f is not None and len(f) else r
            assert played is not None
            row.append(str(int(played["budget"].iloc[0])))
            row += _fixed_cells(f, fixed_rates.get(agent, float("nan")))
            if r is not None and len(r):
                row += [_ci_cell(r[REGRET].to_numpy()), str(len(r)),
                        f"{redraw_rates.get(agent, float('nan')):.2f}"]
            else:
                row += ["-", "0", "-"]
            body.append(row)
    return markdown_table(header, body) + [""]


def _fixed_cells(rows: pd.DataFrame | None, rate: float) -> list[str]:
    if rows is None or not len(rows):
        return ["-", "0", "-", "-", "-"]
    min_frac = rows["min_frac"]
    return [_sd_cell(rows[REGRET].to_numpy()), str(len(rows)),
            f"{rows['suffix_failure'].mean():.2f}",
            f"{min_frac.mean():.2f}" if min_frac.notna().any() else "-", f"{rate:.2f}"]


def mab_tables(rows: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """The section's lines for the records of BanditBench's ids, and the records of any other
    id (left for the generic suite table).

    :param rows: the ``mab`` suite's records.
    """
    tasks: dict[str, tuple[str, str]] = {}
    for env_id in dict.fromkeys(rows["instance"]):
        task = mab_task(env_id)
        if task is not None:
            tasks[env_id] = task
    others = rows[~rows["instance"].isin(list(tasks))]
    if not tasks:
        return [], others
    configs = list(dict.fromkeys(config for config, _ in tasks.values()))
    lines = ["BanditBench's tasks, each the instance BanditBench draws from the "
                        "task's seed:", ""]
    lines += definitions_table(configs)
    lines += regret_table(rows[rows["instance"].isin(list(tasks))], tasks)
    lines += [COMPARABLE_NOTE, ""]
    return lines, others

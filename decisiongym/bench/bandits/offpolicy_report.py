"""The off-policy table of the bandit benchmark: IPS, SNIPS, DM and DR against the truth.

Two settings, each estimating a target policy's value from a log written by another policy:

* **Synthetic**, always: a :class:`~decisiongym.envs.offline.synthetic_bandit_log.SyntheticLogger`
  world per seed (10 actions, 5 features, 0/1 clicks with logistic expected rewards) logs
  10,000 rounds with a softmax policy that leans against the reward (``beta = -1``). The target
  is a sharp softmax of the true expected rewards (``beta = 5``); its ground truth is its mean
  reward over 100,000 rounds of running it on-policy in the same world. DM and DR fit the
  well-specified logistic reward model on the log.
* **Open Bandit Dataset**, when a path to it is given: the ``random`` log of a campaign
  evaluates the ``bts`` (Bernoulli Thompson sampling) policy, whose ground truth is the mean
  click of its own log. BTS does not look at the user, so its action probabilities are the
  frequencies with which its log shows each item at each position. DM and DR fit a ridge model
  on the user features, the affinities and the position. The full ``all`` campaign has about
  1.4 million rows per policy and needs several GB of memory to read; OBP's 10,000-row sample
  has the same layout.

:func:`offpolicy_section` runs both and returns the markdown; the per-seed records go to a CSV
from which :func:`render_offpolicy` draws the same lines again.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.bandits.metrics import mean_interval
from decisiongym.bench.bandits.offpolicy import (
    ESTIMATORS,
    PolicyValueEstimate,
    estimate_policy_value,
    fit_reward_model,
    softmax_policy,
)
from decisiongym.bench.markdown import markdown_table
from decisiongym.envs.core.errors import InstanceFormatError
from decisiongym.envs.core.files import write_frame_atomic
from decisiongym.envs.offline.logged_bandit import LoggedBanditData
from decisiongym.envs.offline.obd_csv import read_obd
from decisiongym.envs.offline.synthetic_bandit_log import SyntheticLogger

__all__ = [
    "evaluate_obd",
    "evaluate_synthetic",
    "obd_target_policy",
    "offpolicy_section",
    "render_offpolicy",
]

N_ACTIONS = 10
DIM = 5
LOGGING_BETA = -1.0
TARGET_BETA = 5.0
LOG_ROUNDS = 10_000
TRUTH_ROUNDS = 100_000
# --quick shrinks both logs by this factor.
QUICK_SHRINK = 5
OBD_CAMPAIGN = "all"
SYNTHETIC = "synthetic"
OBD = "obd"
NO_OBD = ("Skipped: no data given. `decisiongym bench bandits --obd PATH` adds it, PATH being "
          "the Open Bandit Dataset's folder that holds `random/all/` and `bts/all/`.")


def _records(data: str, seed: int, log: LoggedBanditData, truth: float, truth_se: float,
             estimates: dict[str, PolicyValueEstimate]) -> list[dict[str, Any]]:
    return [
        {"data": data, "seed": seed, "estimator": name, "estimate": estimate.value,
         "std_error": estimate.std_error, "truth": truth, "truth_std_error": truth_se,
         "relative_error": abs(estimate.value - truth) / abs(truth),
         "logged_mean": float(log.rewards.mean()), "n_rounds": log.n_rounds}
        for name, estimate in estimates.items()
    ]


def _mean_and_error(rewards: np.ndarray) -> tuple[float, float]:
    return float(rewards.mean()), float(rewards.std(ddof=1) / math.sqrt(rewards.size))


def evaluate_synthetic(seeds: int = 10, quick: bool = False) -> list[dict[str, Any]]:
    """Every estimator on one simulated log per seed, against the target's on-policy value.

    :param seeds: number of worlds (seeds ``0 .. seeds - 1``).
    :param quick: logs five times shorter, for a smoke run.
    :return: one record per (seed, estimator).
    """
    shrink = QUICK_SHRINK if quick else 1
    records: list[dict[str, Any]] = []
    for seed in range(seeds):
        world = SyntheticLogger(N_ACTIONS, DIM, reward="logistic", logging_policy="softmax",
                                beta=LOGGING_BETA, seed=seed)

        def target(contexts: np.ndarray, world: SyntheticLogger = world) -> np.ndarray:
            return softmax_policy(world.expected_rewards(contexts), TARGET_BETA)

        log = world.sample(LOG_ROUNDS // shrink)
        truth, truth_se = _mean_and_error(world.sample(TRUTH_ROUNDS // shrink, target).rewards)
        estimates = estimate_policy_value(log, target(log.contexts), reward_model="logistic")
        records += _records(SYNTHETIC, seed, log, truth, truth_se, estimates)
    return records


def obd_target_policy(target_log: LoggedBanditData, positions: np.ndarray,
                      n_actions: int) -> np.ndarray:
    """A context-free policy's action probabilities, read off its own log: per position, the
    share of its rounds that showed each item (the whole log's shares where a position is
    missing from it).

    :param target_log: the log written by the target policy.
    :param positions: ``(n,)`` 0-based position of each round to evaluate it on.
    :param n_actions: number of items ``K``.
    :return: ``(n, K)`` action probabilities.
    """
    if target_log.positions is None:
        raise ValueError("the target policy's log has no positions")
    n_positions = max(int(positions.max()), int(target_log.positions.max())) + 1
    counts = np.zeros((n_positions, n_actions))
    np.add.at(counts, (target_log.positions, target_log.actions), 1.0)
    overall = counts.sum(axis=0) / counts.sum()
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.where(totals > 0, counts / np.maximum(totals, 1.0), overall)
    return shares[positions]


def evaluate_obd(path: str | os.PathLike[str],
                 campaign: str = OBD_CAMPAIGN) -> list[dict[str, Any]]:
    """Every estimator on OBD's ``random`` log for the ``bts`` policy, against BTS's own log.

    :param path: the dataset's folder holding ``random/<campaign>/`` and ``bts/<campaign>/``.
    :param campaign: ``"all"``, ``"men"`` or ``"women"``.
    :return: one record per estimator (seed 0).
    :raises FileNotFoundError: when either log is missing.
    :raises InstanceFormatError: when a file does not follow the OBD layout.
    """
    root = Path(path)
    target_log = read_obd(root / "bts" / campaign, user_features="drop", affinities=False,
                          item_context=False)
    log = read_obd(root / "random" / campaign)
    if target_log.n_actions > log.n_actions:
        log = read_obd(root / "random" / campaign, n_actions=target_log.n_actions)
    if log.positions is None:
        raise ValueError("the random log has no positions")
    pi = obd_target_policy(target_log, log.positions, log.n_actions)
    # The click rate differs by slot, so the reward model sees the position as well.
    slots = np.eye(int(log.positions.max()) + 1)[log.positions]
    q = fit_reward_model(log, "ridge", features=np.hstack([log.contexts, slots]))
    estimates = estimate_policy_value(log, pi, reward_model=q)
    truth, truth_se = _mean_and_error(target_log.rewards)
    return _records(OBD, 0, log, truth, truth_se, estimates)


def _digits(value: float) -> int:
    """Decimals that show three significant digits of ``value`` (at least three)."""
    if value == 0 or not math.isfinite(value):
        return 3
    return max(3, 2 - math.floor(math.log10(abs(value))))


def _interval(mean: float, half: float, digits: int) -> str:
    return f"{mean:.{digits}f} ± {half:.{digits}f}"


def _percent(mean: float, half: float) -> str:
    return f"{100 * mean:.1f} % ± {100 * half:.1f} %"


def _synthetic_lines(rows: pd.DataFrame) -> list[str]:
    seeds = rows["seed"].nunique()
    logged, _ = mean_interval(rows.groupby("seed")["logged_mean"].first())
    truth, _ = mean_interval(rows.groupby("seed")["truth"].first())
    digits = _digits(truth)
    body = []
    for name in [e for e in ESTIMATORS if e in set(rows["estimator"])]:
        group = rows[rows["estimator"] == name].sort_values("seed")
        body.append([name.upper(), _interval(*mean_interval(group["estimate"]), digits),
                     _interval(*mean_interval(group["truth"]), digits),
                     _percent(*mean_interval(group["relative_error"])), str(len(group))])
    return [
        "### Synthetic logs", "",
        f"{seeds} simulated worlds ({N_ACTIONS} actions, {DIM} features, 0/1 clicks), each "
        f"logging {int(rows['n_rounds'].iloc[0]):,} rounds with a softmax policy that leans "
        f"against the reward (beta {LOGGING_BETA:g}); the target is a softmax of the true "
        f"expected rewards (beta {TARGET_BETA:g}), its ground truth the mean reward of running "
        f"it on-policy in the same world. The log's own mean reward is {logged:.{digits}f}. "
        "Mean ± 95 % interval over seeds; relative error is |estimate - truth| / truth per seed.",
        "",
        *markdown_table(["estimator", "estimate", "ground truth (on-policy)", "relative error",
                         "seeds"], body),
        "",
    ]


def _obd_lines(rows: pd.DataFrame) -> list[str]:
    truth = float(rows["truth"].iloc[0])
    digits = _digits(truth)
    body = []
    for name in [e for e in ESTIMATORS if e in set(rows["estimator"])]:
        row = rows[rows["estimator"] == name].iloc[0]
        body.append([name.upper(), _interval(row["estimate"], 1.96 * row["std_error"], digits),
                     _interval(row["truth"], 1.96 * row["truth_std_error"], digits),
                     f"{100 * row['relative_error']:.1f} %"])
    return [
        f"The uniform-random log ({int(rows['n_rounds'].iloc[0]):,} rounds) evaluates "
        "Bernoulli Thompson sampling, whose ground truth is the mean click of its own log. "
        "Estimate and truth ± their 95 % normal intervals.", "",
        *markdown_table(["estimator", "estimate", "ground truth (BTS log)", "relative error"],
                        body),
        "",
    ]


def render_offpolicy(records: pd.DataFrame | Sequence[dict[str, Any]],
                     obd_note: str | None = None) -> list[str]:
    """The markdown lines of the off-policy section, from its records (or its CSV, read back).

    :param records: the records of :func:`evaluate_synthetic` and :func:`evaluate_obd`.
    :param obd_note: why the Open Bandit Dataset part is missing, when it is; by default the
        line that says how to add it.
    :return: the lines, ending with a blank one.
    """
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame.from_records(records)
    if frame.empty:
        frame = pd.DataFrame(columns=["data"])
    lines = ["## Off-policy evaluation", "",
             "IPS, SNIPS, DM and DR estimate a target policy's value from a log written by "
             "another policy (`decisiongym.bench.bandits.offpolicy`, logs from "
             "`decisiongym.envs.offline`).", ""]
    synthetic = frame[frame["data"] == SYNTHETIC]
    if not synthetic.empty:
        lines += _synthetic_lines(synthetic)
    lines += ["### Open Bandit Dataset: random -> Bernoulli TS", ""]
    obd = frame[frame["data"] == OBD]
    if obd.empty:
        lines += [obd_note or NO_OBD, ""]
    else:
        lines += _obd_lines(obd)
    return lines


def offpolicy_section(
    seeds: int = 10,
    obd: str | os.PathLike[str] | None = None,
    quick: bool = False,
    csv_path: str | os.PathLike[str] | None = None,
) -> list[str]:
    """Run the off-policy evaluation and return its markdown section.

    :param seeds: simulated worlds of the synthetic table.
    :param obd: the Open Bandit Dataset's folder (holding ``random/`` and ``bts/``), or ``None``
        to skip that table; a path that cannot be read is skipped too, with the reason.
    :param quick: shorter synthetic logs, for a smoke run.
    :param csv_path: where to write the records (one per data, seed and estimator), if given.
    :return: the lines, ending with a blank one.
    """
    records = evaluate_synthetic(seeds, quick)
    note = None
    if obd is not None:
        try:
            records += evaluate_obd(obd)
        except (FileNotFoundError, InstanceFormatError) as exc:
            note = f"Skipped: {exc}"
    if csv_path is not None:
        write_frame_atomic(pd.DataFrame.from_records(records), csv_path, index=False)
    return render_offpolicy(records, note)

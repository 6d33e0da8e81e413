"""The learned dispatching rule's section of ``jobshop.md``, rendered from the CSV records.

It answers three questions, each from the records alone:

* per Taillard size, is the greedy network below the best static rule of that size, and below
  L2D's published greedy gaps?
* on the large instances, is best-of-N below CP-SAT given the same wall time and cores
  (``cpsat-matched``)?
* does greedy decoding of a 100x20 instance take under a second?
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from decisiongym.bench.markdown import format_int, format_number, markdown_table
from decisiongym.envs.jobshop.ids import RULE_NAMES


@dataclass(frozen=True)
class PublishedGaps:
    """Mean gaps (%) to the best-known upper bounds per Taillard size (``"jobs x machines"``),
    as a paper published them.

    :param source: the paper and what was measured.
    :param gap_pct: size -> mean gap in percent.
    """

    source: str
    gap_pct: dict[str, float]


L2D_GREEDY = PublishedGaps(
    source='Zhang et al., "Learning to Dispatch for Job Shop Scheduling via Deep Reinforcement '
    'Learning", NeurIPS 2020: L2D, greedy, on Taillard\'s instances',
    gap_pct={"15x15": 26.0, "20x15": 30.0, "20x20": 31.6, "30x15": 33.0, "30x20": 33.6,
             "50x15": 22.4, "50x20": 26.5, "100x20": 13.6},
)

TAILLARD_SIZES: tuple[str, ...] = ("15x15", "20x15", "20x20", "30x15", "30x20", "50x15",
                                   "50x20", "100x20")
# The random rule is left out of "the best static rule": its result is a draw, not a priority.
STATIC_RULES: tuple[str, ...] = tuple(rule for rule in RULE_NAMES if rule != "random")
GREEDY = "learned"
BEST_OF_PREFIX = "learned-"
MATCHED = "cpsat-matched"
# What "fast enough to replace a solver in a loop" means for greedy decoding of the largest size.
GREEDY_TARGET_S = 1.0
GREEDY_TARGET_SIZE = "100x20"


def _sizes(results: pd.DataFrame) -> pd.Series:
    return (results["n_jobs"].astype(int).astype(str) + "x"
            + results["n_machines"].astype(int).astype(str))


def _mean(frame: pd.DataFrame, names: pd.Index, column: str = "gap") -> tuple[float, int]:
    """Mean of ``column`` over the records of ``names``, and how many instances it covers."""
    picked = frame[frame["instance"].isin(names)]
    return (float(picked[column].mean()) if len(picked) else math.nan,
            int(picked["instance"].nunique()))


def size_groups(results: pd.DataFrame) -> pd.DataFrame:
    """One row per Taillard size present in ``results`` (instances with a known upper bound).

    Columns: ``size``, ``instances``; ``greedy_gap`` and ``greedy_wall_s`` (means of the greedy
    network); ``best_rule`` (``"rule/scheme"``) and ``best_rule_gap``, the one static pair with
    the lowest mean gap over the group; ``best_of_gap``, ``cpsat_gap`` and ``l2d_gap``, each
    with the number of instances it covers in ``best_of_count`` and ``cpsat_count``.
    """
    frame = results.assign(size=_sizes(results))
    frame = frame[frame["ub"].notna()]
    greedy = frame[frame["method"] == GREEDY]
    best_of = frame[frame["method"].str.startswith(BEST_OF_PREFIX)]
    cpsat = frame[frame["method"] == "cpsat"]
    rules = frame[frame["method"].isin(STATIC_RULES)]
    rows = []
    for size in TAILLARD_SIZES:
        names = pd.Index(frame.loc[frame["size"] == size, "instance"].unique())
        if not len(names):
            continue
        greedy_gap, _ = _mean(greedy, names)
        greedy_wall, _ = _mean(greedy, names, "wall_s")
        pairs = rules[rules["instance"].isin(names)].groupby(["method", "scheme"])["gap"]
        pair_means = pairs.mean().dropna()
        best_rule, best_rule_gap = "-", math.nan
        if len(pair_means):
            method, scheme = pair_means.idxmin()
            best_rule, best_rule_gap = f"{method}/{scheme}", float(pair_means.min())
        best_of_gap, best_of_count = _mean(best_of, names)
        cpsat_gap, cpsat_count = _mean(cpsat, names)
        rows.append({"size": size, "instances": len(names), "greedy_gap": greedy_gap,
                     "greedy_wall_s": greedy_wall, "best_rule": best_rule,
                     "best_rule_gap": best_rule_gap, "best_of_gap": best_of_gap,
                     "best_of_count": best_of_count, "cpsat_gap": cpsat_gap,
                     "cpsat_count": cpsat_count, "l2d_gap": L2D_GREEDY.gap_pct[size]})
    return pd.DataFrame(rows, columns=["size", "instances", "greedy_gap", "greedy_wall_s",
                                       "best_rule", "best_rule_gap", "best_of_gap",
                                       "best_of_count", "cpsat_gap", "cpsat_count", "l2d_gap"])


def lower_of(best_of: float, matched: float) -> str:
    """``"best-of"``, ``"cpsat"`` or ``"tie"``: which makespan is lower. A missing CP-SAT
    makespan (NaN) means it found no schedule in the time, so best-of-N is lower."""
    if pd.isna(matched) or best_of < matched:
        return "best-of"
    return "cpsat" if matched < best_of else "tie"


def matched_pairs(results: pd.DataFrame) -> pd.DataFrame:
    """Per instance with both a best-of-N and a time-matched CP-SAT record: the two makespans,
    gaps and wall times, and :func:`lower_of`."""
    best_of = results[results["method"].str.startswith(BEST_OF_PREFIX)].set_index("instance")
    matched = results[results["method"] == MATCHED].set_index("instance")
    rows = []
    for name, learned in best_of.iterrows():
        if name not in matched.index:
            continue
        cp = matched.loc[name]
        rows.append({"instance": name, "size": f"{learned['n_jobs']}x{learned['n_machines']}",
                     "ub": learned["ub"], "best_of": learned["objective"],
                     "best_of_gap": learned["gap"], "best_of_wall_s": learned["wall_s"],
                     "cpsat": cp["objective"], "cpsat_gap": cp["gap"],
                     "cpsat_wall_s": cp["wall_s"],
                     "lower": lower_of(learned["objective"], cp["objective"])})
    return pd.DataFrame(rows, columns=["instance", "size", "ub", "best_of", "best_of_gap",
                                       "best_of_wall_s", "cpsat", "cpsat_gap", "cpsat_wall_s",
                                       "lower"])


def _yes_no(value: float, reference: float) -> str:
    if pd.isna(value) or pd.isna(reference):
        return "-"
    return "yes" if value < reference else "no"


def _covered(value: float, count: int, total: int) -> str:
    """A group mean, with ``(count/total)`` when it covers only part of the group."""
    text = format_number(value)
    return text if count in (0, total) else f"{text} ({count}/{total})"


def _first(frame: pd.DataFrame, column: str) -> object:
    return frame[column].iloc[0] if len(frame) else None


def learned_section(results: pd.DataFrame) -> list[str]:
    """The markdown lines of the "Learned dispatching rule" section."""
    lines = ["## Learned dispatching rule", ""]
    greedy = results[results["method"] == GREEDY]
    if not len(greedy):
        return lines + ["No learned-rule records: no checkpoint was available when this ran "
                        "(`decisiongym bench jobshop --checkpoint FILE` benchmarks one).", ""]
    best_of = results[results["method"].str.startswith(BEST_OF_PREFIX)]
    samples = format_int(_first(best_of, "samples")) if len(best_of) else "N"
    cpsat = results[results["method"] == "cpsat"]
    budget = format_number(_first(cpsat, "budget"), 0)
    checkpoint = str(_first(greedy, "checkpoint"))
    about_best_of = (f" *best of {samples}*: {samples} rollouts in one batched pass, the greedy "
                     "one and the others sampled over a spread of temperatures; the shortest "
                     "schedule wins." if len(best_of) else "")
    lines += [
        f"Network `{checkpoint}` ({_first(greedy, 'scheme')} scheme), run on one core by its "
        "compiled forward pass. *greedy*: one rollout, the highest-scoring "
        f"legal job at each decision.{about_best_of} *best rule*: the one rule/scheme pair "
        "(random left out) with the lowest mean gap over the size group. Means over the "
        "group's instances in this run; `(k/n)` where a method ran on only k of them. *L2D*: "
        f"{L2D_GREEDY.source}; its gaps are against the upper bounds of 2020, some of which "
        "have improved since (a smaller upper bound makes the same schedule's gap larger).", ""]

    groups = size_groups(results)
    rows = []
    for _, g in groups.iterrows():
        total = int(g["instances"])
        rows.append([g["size"], str(total), format_number(g["greedy_gap"]), g["best_rule"],
                     format_number(g["best_rule_gap"]),
                     _covered(g["best_of_gap"], int(g["best_of_count"]), total),
                     _covered(g["cpsat_gap"], int(g["cpsat_count"]), total),
                     format_number(g["l2d_gap"]), _yes_no(g["greedy_gap"], g["best_rule_gap"]),
                     _yes_no(g["greedy_gap"], g["l2d_gap"]),
                     format_number(g["greedy_wall_s"], 3)])
    if rows:
        lines += ["Mean gap (%) to the best-known upper bound, per Taillard size:", ""]
        lines += markdown_table(
            ["size", "instances", "greedy", "best rule", "best rule gap", f"best of {samples}",
             f"CP-SAT {budget} s", "L2D greedy", "greedy below best rule", "greedy below L2D",
             "greedy wall s (mean)"], rows)
        lines.append("")
    in_groups = results[_sizes(results).isin(TAILLARD_SIZES) & results["ub"].notna()]
    other = greedy[~greedy["instance"].isin(in_groups["instance"])]
    if len(other):
        lines += ["Not of a Taillard size (or without an upper bound), so not in the table; "
                  "greedy makespan: " + ", ".join(
                      f"{r['instance']} {format_int(r['objective'])}" for _, r in other.iterrows())
                  + ".", ""]

    pairs = matched_pairs(results)
    if len(pairs):
        lines += [f"### Best of {samples} against CP-SAT given the same time", "",
                  f"*CP-SAT (same time)*: CP-SAT with best of {samples}'s wall time on that "
                  "instance as its limit and one worker: the same core count as the network.",
                  ""]
        names = {"best-of": f"best of {samples}", "cpsat": "CP-SAT", "tie": "tie"}
        rows = [[p["instance"], p["size"], format_int(p["ub"]), format_int(p["best_of"]),
                 format_number(p["best_of_gap"]), format_number(p["best_of_wall_s"], 2),
                 format_int(p["cpsat"]), format_number(p["cpsat_gap"]), names[p["lower"]]]
                for _, p in pairs.iterrows()]
        lines += markdown_table(["instance", "size", "UB", f"best of {samples}", "gap %",
                                 "wall s", "CP-SAT (same time)", "gap %", "lower"], rows)
        below = int((pairs["lower"] == "best-of").sum())
        lines += ["", f"best-of-{samples} below time-matched CP-SAT on {below} of {len(pairs)} "
                  "instances.", ""]

    sizes = _sizes(greedy)
    largest = greedy[sizes == GREEDY_TARGET_SIZE]
    if len(largest):
        walls = largest.set_index("instance")["wall_s"]
        over = int((walls >= GREEDY_TARGET_S).sum())
        verdict = ("met on every instance" if over == 0
                   else f"missed on {over} of {len(walls)} instances")
        lines += [f"### Greedy speed on {GREEDY_TARGET_SIZE}", "",
                  "Greedy wall time per instance: " + ", ".join(
                      f"{name} {wall:.2f} s" for name, wall in walls.items()) + ".",
                  f"Max {walls.max():.2f} s, mean {walls.mean():.2f} s against the "
                  f"{GREEDY_TARGET_S:g} s target: {verdict}.", ""]
    return lines

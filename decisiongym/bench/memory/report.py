"""The memory results file, rendered from the benchmark's CSV records alone
(:func:`decisiongym.bench.record.read_frame` of ``memory_allocation.csv`` and
``memory_mapping.csv``) and the speed rows.

An allocation record's objective is the validated peak in bytes (empty without an answer); its
``extra`` holds the source (``minimalloc`` or ``tight``), the capacity asked (``capacity``,
after ``capacity_delta``), the question (``feasibility`` or ``peak``), the greedy's order, the
max live bytes, the peak over the capacity (``ratio``) and the exact search's ``nodes``. A
mapping record's objective is the validated run time in microseconds; its ``extra`` holds the
chip, the capacity's ``fraction`` of the peak live bytes, the all-slow time and the speed-up.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import format_number, markdown_table

MINIMALLOC_CPU_S = {"A": 8.36, "B": 6.32, "C": 1.07, "D": 4.39, "E": 6.59, "F": 8.46, "G": 1.52,
                    "H": 2.68, "I": 5.72, "J": 1.80, "K": 1.08}
"""MiniMalloc's own C++ (``-O3``, validated output) CPU seconds at the capacity, measured on a
2-core machine like ours (shared references, memory.md, section 3.3)."""

EXACT_CPU_TARGET_S = 4.0
"""The issue's bar: each of MiniMalloc's workloads packed at exactly its capacity in under 4 s
CPU."""

REFERENCE = "xla-greedy"
"""The mapping method every other one is compared with (the mallocMuZero comparison)."""

TIE = 1e-9
"""Relative difference in run time below which two mappings tie."""


def _flag(value: Any) -> bool:
    """A boolean cell read back from CSV (True, "True", or empty)."""
    return value is not None and not (isinstance(value, float) and pd.isna(value)) \
        and str(value).lower() == "true"


def _ratio(value: Any) -> str:
    return "-" if value is None or pd.isna(value) else f"{value:.3f}x"


def _search_cell(row: pd.Series | None) -> str:
    if row is None:
        return "-"
    nodes = row.get("nodes")
    searched = "" if nodes is None or pd.isna(nodes) else f", {int(nodes):,} nodes"
    return f"{row['status']} {row['cpu_s']:.2f} s{searched}"


def _pick(rows: pd.DataFrame, **match: Any) -> pd.Series | None:
    chosen = rows
    for key, value in match.items():
        chosen = chosen[chosen[key] == value]
    return None if chosen.empty else chosen.iloc[0]


def allocation_table(records: pd.DataFrame, source: str) -> tuple[list[str], list[list[str]]]:
    """The header and rows of one source's allocation table, one row per instance."""
    rows = records[records["source"] == source]
    header = ["instance", "buffers", "max live / capacity", "greedy size", "greedy area",
              "greedy start", "exact at capacity", "exact at capacity - 1",
              "CP-SAT feasibility", "CP-SAT least peak"]
    if source == "minimalloc":
        header.append("MiniMalloc C++ CPU s (fact sheet)")
    body = []
    for (instance, _), own in rows.groupby(["instance", "seed"], sort=False):
        at = own[own["capacity_delta"] == 0]
        first = at.iloc[0]
        line = [str(instance), f"{int(first['n_buffers']):,}",
                _ratio(first["max_live"] / first["capacity"])]
        for order in ("size", "area", "start"):
            greedy = _pick(own, method="greedy", order=order)
            line.append("-" if greedy is None else _ratio(greedy["ratio"]))
        for delta in (0, -1):
            line.append(_search_cell(_pick(own, method="exact", capacity_delta=delta)))
        feasibility = _pick(own, method="cpsat", question="feasibility")
        line.append("-" if feasibility is None else str(feasibility["status"]))
        least = _pick(own, method="cpsat", question="peak")
        line.append("-" if least is None else f"{_ratio(least['ratio'])} ({least['status']})")
        if source == "minimalloc":
            line.append(format_number(MINIMALLOC_CPU_S.get(str(instance)), 2))
        body.append(line)
    return header, body


def allocation_summary(records: pd.DataFrame, source: str) -> list[str]:
    """What the allocation table of ``source`` shows, in sentences (the targets checked)."""
    rows = records[records["source"] == source]
    if rows.empty:
        return []
    exact = rows[(rows["method"] == "exact") & (rows["capacity_delta"] == 0)]
    below = rows[(rows["method"] == "exact") & (rows["capacity_delta"] == -1)]
    packed = exact[exact["status"] == "optimal"]
    fast = packed[packed["cpu_s"] < EXACT_CPU_TARGET_S]
    n = len(exact)
    met = len(fast) == n and n > 0
    lines = [f"* Exact search at exactly the capacity: packed {len(packed)} of {n}, "
             f"{len(fast)} of them under {EXACT_CPU_TARGET_S:g} s CPU (most "
             f"{format_number(packed['cpu_s'].max() if len(packed) else None, 2)} s); target "
             f"all {n} under {EXACT_CPU_TARGET_S:g} s: **{'met' if met else 'not met'}**.",
             f"* At capacity - 1: proven infeasible on "
             f"{int((below['status'] == 'infeasible').sum())} of {len(below)}."]
    for order in ("size", "area", "start"):
        ratios = rows[(rows["method"] == "greedy") & (rows["order"] == order)]["ratio"].dropna()
        if len(ratios):
            lines.append(f"* Greedy by {order}: {ratios.min():.2f}x to {ratios.max():.2f}x the "
                         f"capacity (median {ratios.median():.2f}x).")
    feasibility = rows[(rows["method"] == "cpsat") & (rows["question"] == "feasibility")]
    least = rows[(rows["method"] == "cpsat") & (rows["question"] == "peak")]["ratio"].dropna()
    if len(feasibility):
        budget = format_number(feasibility["budget"].iloc[0], 0)
        lines.append(f"* CP-SAT ({budget} s): a packing at the capacity on "
                     f"{int((feasibility['status'] == 'optimal').sum())} of {len(feasibility)}; "
                     f"least peak median {_ratio(least.median() if len(least) else None)}.")
    return lines


def mapping_table(records: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """One row per (program, chip, fast capacity), one speed-up column per method and CP-SAT's
    bound (as the best speed-up it allows) when a record has one."""
    methods = list(dict.fromkeys(records["method"]))
    bounded = records["bound"].notna().any()
    header = ["program", "chip", "fast / peak live", "all-slow us"] + \
        [f"{m} speed-up" for m in methods] + (["bound (best speed-up)"] if bounded else [])
    body = []
    for (name, chip, fraction), own in records.groupby(["instance", "hardware", "fraction"],
                                                       sort=False):
        line = [str(name), str(chip), f"{fraction:.0%}",
                f"{own['time_all_slow_us'].iloc[0]:,.1f}"]
        for method in methods:
            row = _pick(own, method=method)
            if row is None or pd.isna(row["objective"]):
                line.append("-")
            else:
                mark = "" if row["valid"] else " (invalid)"
                fell = " (fell back)" if _flag(row.get("fell_back")) else ""
                line.append(f"{_ratio(row['speedup'])}{fell}{mark}")
        if bounded:
            bounds = own["bound"].dropna()
            line.append(_ratio(own["time_all_slow_us"].iloc[0] / bounds.max())
                        if len(bounds) else "-")
        body.append(line)
    return header, body


def comparison(records: pd.DataFrame, method: str, reference: str = REFERENCE) -> str | None:
    """``method`` against ``reference`` paired by (program, chip, capacity): wins, ties,
    losses, fall-backs and the median gain in speed (reference time / method time - 1)."""
    keys = ["instance", "hardware", "fraction"]
    mine = records[records["method"] == method].set_index(keys)["objective"]
    theirs = records[records["method"] == reference].set_index(keys)["objective"]
    mine, theirs = mine.align(theirs, join="inner")
    paired = mine.notna() & theirs.notna()
    mine, theirs = mine[paired], theirs[paired]
    if mine.empty:
        return None
    relative = (theirs - mine) / theirs
    wins, losses = int((relative > TIE).sum()), int((relative < -TIE).sum())
    gains = (theirs / mine - 1.0) * 100.0
    fell = records[records["method"] == method].get("fell_back")
    fallbacks = "" if fell is None or not fell.notna().any() else \
        f", fell back on {sum(_flag(v) for v in fell)}"
    return (f"* {method} against {reference} on {len(mine)} programs x chips x capacities: "
            f"wins {wins}, ties {len(mine) - wins - losses}, losses {losses}{fallbacks}; "
            f"median gain {np.median(gains):+.1f} % (min {gains.min():+.1f} %, max "
            f"{gains.max():+.1f} %).")


def mapping_summary(records: pd.DataFrame) -> list[str]:
    """Each method's median speed-up per chip, then each against the XLA-style greedy."""
    lines = []
    for (method, chip), own in records.groupby(["method", "hardware"], sort=False):
        speedups = own["speedup"].dropna()
        if len(speedups):
            lines.append(f"* {method} on {chip}: median speed-up {speedups.median():.3f}x over "
                         f"all-slow memory (min {speedups.min():.3f}x, max {speedups.max():.3f}x).")
    for method in dict.fromkeys(records["method"]):
        if method != REFERENCE:
            line = comparison(records, str(method))
            if line:
                lines.append(line)
    return lines


def _validated(records: pd.DataFrame) -> str:
    answered = records[records["objective"].notna()]
    return f"{int(answered['valid'].astype(bool).sum())} of {len(answered)}"


def exact_nodes_per_second(records: pd.DataFrame) -> float | None:
    """Nodes per CPU second over the exact searches that searched (a proof by the max-live
    bound explores none)."""
    searched = records[(records["method"] == "exact") & (records["nodes"].fillna(0) > 0)]
    cpu = float(searched["cpu_s"].sum())
    return float(searched["nodes"].sum()) / cpu if cpu > 0 else None


def render(allocation: pd.DataFrame, mapping: pd.DataFrame, speed: list[dict[str, Any]],
           command: str, setup: dict[str, Any]) -> str:
    """The markdown of ``memory.md``.

    :param allocation: the allocation records.
    :param mapping: the mapping records.
    :param speed: the speed rows (:func:`decisiongym.bench.memory.speed.measure_speed`).
    :param command: the command line that wrote the records.
    :param setup: ``minimalloc_missing`` (why MiniMalloc's table is empty, or ``None``),
        ``quick``, ``time_limit``, ``exact_time_limit``, ``workers``, ``tight`` (buffers of
        each tight instance), ``chips``.
    """
    lines = ["# Memory mapping and allocation", "", *header_lines(command), ""]
    if setup.get("quick"):
        lines += ["A quick run (`--quick`): few instances and short limits; not the published "
                  "numbers.", ""]
    lines += ["## Allocation", "",
              "Peaks as a multiple of the capacity. Greedy: the least peak of best fit by "
              "decreasing size or area and first fit by start (no capacity). Exact: the "
              f"MiniMalloc-style search asked for a packing under the capacity "
              f"({setup['exact_time_limit']:g} s per question), status, CPU seconds and nodes. "
              f"CP-SAT: NoOverlap2D, {setup['workers']} workers, {setup['time_limit']:g} s, "
              "the feasibility model's status and the least-peak model's peak. Every answer is "
              f"re-checked by the family's validator: {_validated(allocation)} valid.", "",
              "### MiniMalloc's challenging workloads (capacity 1,048,576)", ""]
    if setup.get("minimalloc_missing"):
        lines += [f"Not run: {setup['minimalloc_missing']}. Pass `--data` with the folder "
                  "holding `minimalloc_challenging/`.", ""]
    elif (allocation["source"] == "minimalloc").any():
        header, body = allocation_table(allocation, "minimalloc")
        lines += [*markdown_table(header, body), "", *allocation_summary(allocation,
                                                                          "minimalloc"), ""]
    tight = setup.get("tight", [])
    lines += [f"### Tight generated strips ({len(tight)} instances of {min(tight, default=0)}-"
              f"{max(tight, default=0)} buffers, optimum exactly the capacity)", ""]
    if (allocation["source"] == "tight").any():
        header, body = allocation_table(allocation, "tight")
        lines += [*markdown_table(header, body), "", *allocation_summary(allocation, "tight"),
                  ""]
    lines += ["## Mapping", "",
              "The shipped traced programs at fast capacities of 25, 50 and 75 % of their peak "
              f"live bytes on {', '.join(setup.get('chips', ()))}: the speed-up over all-slow "
              "memory (all-slow time / time, both from the validator's plain-Python run-time "
              f"model). Every answer re-checked: {_validated(mapping)} valid.", ""]
    if not mapping.empty:
        header, body = mapping_table(mapping)
        lines += [*markdown_table(header, body), "", *mapping_summary(mapping), ""]
    lines += ["## Speed", ""]
    rows = [[str(r["what"]), f"{r['value']:,.1f}", str(r["unit"]), str(r["target"]) or "-",
             str(r["met"]) or "-"] for r in speed]
    nodes = exact_nodes_per_second(allocation)
    rows.append(["exact search, over every question above that searched",
                 "-" if nodes is None else f"{nodes:,.0f}", "nodes per CPU second", "-", "-"])
    if not speed:
        lines += ["Env and greedy rows skipped (`--no-speed`).", ""]
    lines += [*markdown_table(["what", "value", "unit", "target", "met"], rows), ""]
    return "\n".join(lines)

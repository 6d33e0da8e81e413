"""The job-shop results file, rendered from the benchmark's CSV records (never from memory), so
a table can be rebuilt without rerunning: ``render(read_frame("jobshop.csv"), ...)`` with
:func:`decisiongym.bench.record.read_frame`. A record's objective is its makespan, its gap the
percent above the best-known upper bound, its budget CP-SAT's time limit."""

from __future__ import annotations

import pandas as pd

from decisiongym.bench.jobshop.learned_report import learned_section
from decisiongym.bench.machine import header_lines
from decisiongym.bench.markdown import format_int, format_number, markdown_table
from decisiongym.envs.jobshop.ids import RULE_NAMES, SCHEME_NAMES


def render(results: pd.DataFrame, speed: pd.DataFrame | None, command: str,
           bounds_file: str | None = None) -> str:
    """The markdown of ``benchmarks/results/jobshop.md``.

    :param bounds_file: the name of the bounds file the gaps were taken against, ``None`` for
        the bounds shipped with the package.
    """
    lines = ["# Job shop: CP-SAT, dispatching rules, the learned rule and simulator speed", ""]
    lines += header_lines(command) + [""]
    n_valid = int(results["valid"].sum())
    source = (f"`{bounds_file}` (given with --bounds)" if bounds_file else
              "shipped with the package (OptalCP maintainers' BKS file, snapshot 2026-08-19)")
    lines += [f"Every schedule was re-checked by `validate`: {n_valid} of {len(results)} valid.",
              f"Gaps are `(makespan - UB) / UB` against the best-known upper bound {source}; "
              "`-` where the instance has none.", ""]

    rules = results[results["method"].isin(RULE_NAMES)]
    cp = results[results["method"] == "cpsat"].set_index("instance")
    warm = results[results["method"] == "cpsat-warm"].set_index("instance")
    instances = list(dict.fromkeys(results["instance"]))

    lines += ["## CP-SAT and the best rule, per instance", ""]
    budget = cp["budget"].iloc[0] if len(cp) else None
    workers = cp["workers"].iloc[0] if len(cp) else None
    lines += [f"CP-SAT: {format_number(budget, 0)} s, {format_int(workers)} workers. "
              "*warm*: CP-SAT started from the best rule's schedule (hint + upper bound).", ""]
    rows = []
    for name in instances:
        r = rules[rules["instance"] == name]
        best = r.loc[r["objective"].idxmin()]
        c = cp.loc[name] if name in cp.index else {}
        w = warm.loc[name] if name in warm.index else {}
        first = results[results["instance"] == name].iloc[0]
        rows.append([
            name, f"{first['n_jobs']}x{first['n_machines']}", format_int(first["lb"]),
            format_int(first["ub"]), format_int(c.get("objective")), format_int(c.get("bound")),
            format_number(c.get("gap")), format_number(c.get("wall_s")),
            format_int(w.get("objective")), format_number(w.get("gap")),
            f"{best['method']}/{best['scheme']}", format_int(best["objective"]),
            format_number(best["gap"]),
        ])
    lines += markdown_table(["instance", "size", "LB", "UB", "CP-SAT", "CP-SAT bound", "gap %",
                             "wall s", "CP-SAT warm", "gap %", "best rule", "makespan", "gap %"],
                            rows)
    if len(warm):
        worse = int((warm["objective"] > warm["warm_start_makespan"]).sum())
        lines += ["", f"Warm-started CP-SAT worse than its warm start on {worse} of {len(warm)} "
                  "instances."]
    lines.append("")

    lines += learned_section(results)

    lines += ["## Mean gap (%) of each rule under each scheme", ""]
    mean = rules.pivot_table(index="method", columns="scheme", values="gap", aggfunc="mean")
    rows = [[rule] + [format_number(mean.loc[rule, s])
                      if rule in mean.index and s in mean.columns else "-"
                      for s in SCHEME_NAMES] for rule in RULE_NAMES]
    lines += markdown_table(["rule"] + list(SCHEME_NAMES), rows) + [""]

    for scheme in SCHEME_NAMES:
        lines += [f"## Makespan of each rule, {scheme} scheme", ""]
        table = rules[rules["scheme"] == scheme].pivot_table(
            index="instance", columns="method", values="objective", aggfunc="first")
        rows = [[name] + [format_int(table.loc[name, rule]) if rule in table.columns else "-"
                          for rule in RULE_NAMES] for name in instances if name in table.index]
        lines += markdown_table(["instance"] + list(RULE_NAMES), rows) + [""]

    mean_wall = rules.groupby("instance")["wall_s"].mean()
    lines += ["Mean wall time of one rule episode: " + ", ".join(
        f"{name} {1e3 * mean_wall[name]:.2f} ms" for name in instances) + ".", ""]

    if speed is not None and len(speed):
        lines += ["## Simulator speed", "",
                  "Uniformly random legal actions from each env's mask, resets included, "
                  "stepping timed only; every env measured in this same run. *vs JSSEnv* divides "
                  "by JSSEnv's steps/s on the same instance.", ""]
        rows = []
        for _, rec in speed.iterrows():
            ref = speed[(speed["instance"] == rec["instance"])
                        & speed["env"].str.startswith("JSSEnv")]
            ratio = "-"
            if len(ref) and rec["unit"] != "ms":
                value = rec["value"] / ref["value"].iloc[0]
                ratio = f"{value:.1f}x" if value >= 1 else f"{value:.2g}x"
            digits = 2 if rec["unit"] == "ms" else 0
            rows.append([rec["env"], rec["instance"], f"{rec['value']:,.{digits}f}", rec["unit"],
                         str(rec["episodes"]), ratio])
        lines += markdown_table(["env", "instance", "value", "unit", "episodes", "vs JSSEnv"],
                                rows)
        lines.append("")
    return "\n".join(lines)

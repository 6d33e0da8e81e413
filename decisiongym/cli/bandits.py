"""``decisiongym simulate|bench bandits``: the bandit family's commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from decisiongym.cli.common import (
    MAX_WORKERS,
    Verbs,
    bounded_int,
    command_line,
    output_folder,
    parse_params,
    print_json,
    print_report,
    workers,
)

MAX_HORIZON = 10_000_000
"""Most rounds per run from the command line (``simulate_agent`` in Python takes more)."""

MAX_SEEDS = 10_000
"""Most seeds of one command."""

horizon = bounded_int(1, MAX_HORIZON, beyond="decisiongym.bench.bandits.simulate."
                      "simulate_agent in Python takes more")
seeds = bounded_int(1, MAX_SEEDS, beyond="run the command again with other seeds")


def add_parsers(verbs: Verbs) -> None:
    """Add ``bandits`` under ``simulate`` and ``bench`` (a bandit has no instance to solve and
    trains as it plays)."""
    _add_simulate(verbs["simulate"])
    _add_bench(verbs["bench"])


def _add_simulate(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sb = families.add_parser(
        "bandits", help="a bandit agent on a bandit env: regret and the suite's metrics",
        description="Play a bandit agent on a registered bandit env id (see `decisiongym list`) "
        "for --seeds seeds; print cumulative regret (mean and 95% interval), suffix-failure "
        "frequency, MinFrac and speed, computed from the env's oracle.",
    )
    sb.add_argument("env_id", help="registered bandit env id, e.g. "
                    "decisiongym/MAB-Bernoulli-Easy-K5-Video-v1")
    # No choices: an unknown agent gets make_agent's error, which lists every name.
    sb.add_argument("--agent", required=True, help="agent name (e.g. ucb1, linucb, neucb-kl)")
    sb.add_argument("--horizon", type=horizon, default=None,
                    help=f"rounds per run, 1..{MAX_HORIZON:,} (default: the env's horizon)")
    sb.add_argument("--seeds", type=seeds, default=5,
                    help=f"number of seeds 0..K-1, K in 1..{MAX_SEEDS:,} (default 5)")
    sb.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="agent hyper-parameter, repeatable (numbers parsed as numbers)")
    sb.add_argument("--env-param", action="append", default=[], metavar="KEY=VALUE",
                    help="env argument, repeatable")
    sb.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    sb.set_defaults(handler=simulate)


def _add_bench(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bb = families.add_parser(
        "bandits", help="regret tables and plots of every bandit agent, speed vs peers",
        description="Every agent on the bandit suites (BanditBench MAB, synthetic contextual, "
        "classification, SOR relaxation, one-sided fairness) over seeds; regret with 95% "
        "intervals, suffix-failure frequency, MinFrac, win-rates, regret plots; LinUCB and SOR "
        "speed against MABWiser and scipy in the same run; IPS, SNIPS, DM and DR against the "
        "on-policy truth. Writes bandits.md, bandits.csv, bandits_offpolicy.csv, PNGs.",
    )
    bb.add_argument("--seeds", type=seeds, default=10,
                    help=f"seeds per cell, 1..{MAX_SEEDS:,} (default: 10)")
    bb.add_argument("--suites", default="all",
                    help="comma list of suites: mab,contextual,classification,sor,fairness "
                    "(default: all)")
    bb.add_argument("--quick", action="store_true",
                    help="short horizons and few seeds, for a smoke run")
    bb.add_argument("--processes", type=workers, default=2,
                    help=f"local worker processes, 1..{MAX_WORKERS} (default: 2)")
    bb.add_argument("--out-dir", type=output_folder, default="benchmarks/results",
                    help="folder of the results files (default: benchmarks/results)")
    bb.add_argument("--backend", default="local", choices=("local", "ray"),
                    help="where cells run (default: local)")
    bb.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bb.add_argument("--no-speed", action="store_true", help="skip the speed table")
    bb.add_argument("--obd", metavar="PATH", default=None,
                    help="the Open Bandit Dataset's folder (holding random/ and bts/): adds its "
                    "random -> Bernoulli TS split to the off-policy table")
    bb.set_defaults(handler=bench)


def simulate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``simulate bandits``: one agent on one env over seeds, summarised."""
    from decisiongym.bench.bandits.simulate import simulate_agent
    from decisiongym.bench.runner import progress_bar

    agent_kwargs = parse_params(args.param, "--param")
    env_kwargs = parse_params(args.env_param, "--env-param")
    with progress_bar(transient=True) as bar:
        task = bar.add_task(f"{args.agent} on {args.env_id}", total=args.seeds, status="")
        record = simulate_agent(args.env_id, args.agent, args.seeds, args.horizon, env_kwargs,
                                agent_kwargs, on_seed=lambda _: bar.update(task, advance=1))
    if args.json:
        print_json(record)
        return 0
    print(f"{args.agent} on {args.env_id}: {int(record['horizon'])} rounds x {args.seeds} "
          f"seeds")
    print(f"  cumulative regret  {record['regret_mean']:.2f} +/- "
          f"{record['regret_ci95']:.2f} (95% interval)")
    print(f"  suffix failure     {record['suffix_failure']:.2f} (never the best arm after "
          "half the horizon)")
    print(f"  MinFrac            {record['min_frac']:.3f}")
    print(f"  mean reward        {record['reward_mean']:.4f}")
    for key, value in record.items():
        if key.endswith("_total_mean"):
            print(f"  {key.removesuffix('_total_mean'):<18} {value:.1f} per run")
    print(f"  wall time          {record['wall_s_mean']:.3f} s per run")
    return 0


def bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``bench bandits``: every agent on the chosen suites, tables and plots."""
    from decisiongym.bench.bandits.grid import SUITE_NAMES, run_benchmark
    from decisiongym.envs.core.errors import InputError

    suites = None if args.suites == "all" else [s.strip() for s in args.suites.split(",")]
    unknown = sorted(set(suites or ()) - set(SUITE_NAMES))
    if unknown:
        raise InputError(f"unknown suites {', '.join(unknown)}; choose from "
                         f"{', '.join(SUITE_NAMES)} or all", "--suites")
    print_report(run_benchmark(seeds=args.seeds, suites=suites, quick=args.quick,
                               processes=args.processes, out_dir=args.out_dir,
                               command=command_line(argv), backend=args.backend,
                               address=args.address, speed=not args.no_speed, obd=args.obd))
    return 0

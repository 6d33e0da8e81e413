"""``decisiongym solve|simulate|train|bench soc``: the SoC scheduling family's commands."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from decisiongym.cli.common import (
    MAX_SECONDS,
    MAX_SEED,
    MAX_WORKERS,
    Verbs,
    bounded_float,
    bounded_int,
    command_line,
    input_file,
    output_file,
    output_folder,
    positive,
    print_json,
    print_report,
    seed,
    with_time_bar,
    workers,
)
from decisiongym.envs.soc.ids import FAMILY, SIMULATOR_MODES

if TYPE_CHECKING:
    from decisiongym.bench.record import Record

MAX_JOBS = 1_000_000
"""Most jobs of a stream from the command line (``simulate_stream`` in Python takes more)."""

MAX_SEEDS = 1000
"""Most seeds per cell of ``bench soc``."""

rate = bounded_float(1e-3, 1e6, beyond="a stream that dense saturates every platform")
jobs = bounded_int(1, MAX_JOBS, beyond="decisiongym.bench.soc.simulate.simulate_stream in "
                   "Python takes more")
warmup_jobs = bounded_int(0, MAX_JOBS - 1)
noise = bounded_float(0.0, 10.0)
episodes = bounded_int(0, 10**6)
seeds = bounded_int(1, MAX_SEEDS, beyond="run the benchmark again with other seeds")


def add_parsers(verbs: Verbs) -> None:
    """Add ``soc`` under ``solve``, ``simulate``, ``train`` and ``bench``."""
    _add_solve(verbs["solve"])
    _add_simulate(verbs["simulate"])
    _add_train(verbs["train"])
    _add_bench(verbs["bench"])


def _add_solve(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    soc = families.add_parser(
        "soc", help="one task DAG on a heterogeneous SoC",
        description="Schedule one application DAG on a platform with a static list scheduler "
        "or CP-SAT; prints the makespan, or one JSON object with --json. DAG and platform are "
        "built-in names (wifi_tx, wifi_rx, range_detection, sc_tx, sc_rx, temporal_mitigation, "
        "topcuoglu; platforms default, topcuoglu) or JSON files in the documented formats.",
    )
    soc.add_argument("dag", help="built-in application name or path to a JSON application")
    soc.add_argument("--platform", default="default",
                     help="built-in platform name or path to a JSON platform (default: default)")
    soc.add_argument("--method", required=True, choices=FAMILY.baselines["static"],
                     help="static scheduler")
    soc.add_argument("--time-limit", type=positive, default=10.0,
                     help=f"CP-SAT time limit in seconds, in (0, {MAX_SECONDS:g}] (default: 10)")
    soc.add_argument("--workers", type=workers, default=2,
                     help=f"CP-SAT workers, 1..{MAX_WORKERS} (default: 2)")
    soc.add_argument("--seed", type=seed, default=0, help=f"CP-SAT seed, 0..{MAX_SEED}")
    soc.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    soc.set_defaults(handler=solve)


def _add_simulate(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ss = families.add_parser(
        "soc", help="a stream of task-DAG jobs on a SoC under an online scheduler",
        description="Simulate a Poisson stream of jobs (applications drawn from a mix) on a "
        "platform under an online scheduler, event by event; print latency mean and p95, "
        "throughput, energy, EDP and timings (one JSON object with --json). The first "
        "--warmup-jobs jobs are left out of the statistics.",
    )
    ss.add_argument("--platform", default="default",
                    help="built-in platform name or JSON file (default: default)")
    ss.add_argument("--mix", default="ds3",
                    help="ds3 (DS3's six applications and job probabilities) or a comma list "
                    "app[:weight] of built-in names or JSON files (default: ds3)")
    ss.add_argument("--scheduler", required=True,
                    choices=tuple(dict.fromkeys(FAMILY.baselines["online"] + FAMILY.agents
                                                + FAMILY.baselines["online-ds3"])),
                    help="online scheduler (learned: the shipped DeepSoCS-style policy, or "
                    "--checkpoint); met-soonest and stf-soonest are this library's MET and "
                    "STF, met and stf DS3's, run with --mode ds3")
    ss.add_argument("--mode", default="default", choices=SIMULATOR_MODES,
                    help="simulator semantics: default, or ds3 (DS3's MET, ETF, EFT, STF with "
                    "its tie-breaks, back-filling from the oldest job, at most 12 jobs in "
                    "flight, latency from each job's entry) (default: default)")
    ss.add_argument("--checkpoint", type=input_file, default=None,
                    help="policy file for --scheduler learned (default: the shipped one)")
    ss.add_argument("--rate", type=rate, default=2.0,
                    help="injection rate in jobs per ms, in [0.001, 1e6] (default: 2, DS3's "
                    "default)")
    ss.add_argument("--jobs", type=jobs, default=1000,
                    help=f"jobs in the stream, 1..{MAX_JOBS:,} (default 1000)")
    ss.add_argument("--noise", type=noise, default=0.0,
                    help="execution-time noise sigma as a fraction of the mean, in [0, 10] "
                    "(default 0)")
    ss.add_argument("--noise-model", default="gaussian", choices=("gaussian", "lognormal"),
                    help="noise distribution when --noise > 0 (default: gaussian)")
    ss.add_argument("--warmup-jobs", type=warmup_jobs, default=None,
                    help="leading jobs left out of the statistics, below --jobs (default: 10%% "
                    "of --jobs)")
    ss.add_argument("--seed", type=seed, default=0,
                    help=f"seed of arrivals, mix and noise, 0..{MAX_SEED}")
    ss.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ss.set_defaults(handler=simulate)


def _add_train(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ts = families.add_parser(
        "soc", help="the DeepSoCS-style SoC scheduler: imitation of ETF, then REINFORCE",
        description="Train the SoC order policy: imitation of ETF's decisions, then "
        "REINFORCE with a learned baseline on decisiongym/SoC-TaskOnly-v0 episodes. With the "
        "defaults it reproduces the shipped weights (decisiongym/data/soc_policy.pt).",
    )
    ts.add_argument("--out", type=output_file, default="soc_policy.pt",
                    help="weights file to write")
    ts.add_argument("--seed", type=seed, default=0, help=f"seed, 0..{MAX_SEED} (default: 0)")
    ts.add_argument("--imitation-episodes", type=episodes, default=None,
                    help="expert episodes for imitation, 0..10^6 (default: the shipped "
                    "setting)")
    ts.add_argument("--episodes", type=episodes, default=None,
                    help="policy-gradient episodes, 0..10^6 (default: the shipped setting)")
    ts.add_argument("--rate", type=rate, default=None,
                    help="injection rate of the training episodes, jobs/ms, in [0.001, 1e6]")
    ts.add_argument("--resume", type=input_file, default=None,
                    help="start from these weights and skip imitation")
    ts.add_argument("--checkpoint-dir", type=output_folder, default=None,
                    help="save the policy after imitation and at each validation here")
    ts.add_argument("--log-dir", type=output_folder, default=None,
                    help="TensorBoard logs (when tensorboard is installed)")
    ts.set_defaults(handler=train)


def _add_bench(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bs = families.add_parser(
        "soc", help="online SoC schedulers over an injection-rate sweep, single DAGs, speed",
        description="Every online scheduler (and a learned one when available) on DS3's default "
        "platform and mix over injection rates past saturation, noise sigma 0/0.1/0.3 and seeds: "
        "latency mean/p95, throughput, energy with 95% intervals and saturation rates; HEFT, "
        "PEFT, CPOP against CP-SAT on small DAGs; simulator, env and HEFT speed. Writes soc.md, "
        "soc.csv, soc_dags.csv, soc_speed.csv and soc_latency.png.",
    )
    bs.add_argument("--seeds", type=seeds, default=10,
                    help=f"seeds per cell, 1..{MAX_SEEDS} (default: 10)")
    bs.add_argument("--quick", action="store_true",
                    help="few rates, jobs and seeds, for a smoke run")
    bs.add_argument("--processes", type=workers, default=2,
                    help=f"local worker processes, 1..{MAX_WORKERS} (default: 2)")
    bs.add_argument("--out-dir", type=output_folder, default="benchmarks/results",
                    help="folder of the results files (default: benchmarks/results)")
    bs.add_argument("--backend", default="local", choices=("local", "ray"),
                    help="where cells run (default: local)")
    bs.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bs.add_argument("--no-speed", action="store_true", help="skip the speed table")
    bs.add_argument("--speed-only", action="store_true",
                    help="measure only the speed table again and re-render soc.md from the "
                         "stream and DAG records of a previous full run in --out-dir")
    bs.set_defaults(handler=bench)


def solve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``solve soc``: one DAG, one static method; exit 1 when the schedule is invalid."""
    from decisiongym.bench.soc.solve import dag_json, solve_dag
    from decisiongym.envs.core.errors import InputError
    from decisiongym.envs.soc.builtin import load_dag_problem

    try:
        problem = load_dag_problem(args.dag, args.platform)
    except KeyError as exc:  # a name that is neither built in nor a file
        raise InputError(exc.args[0]) from None

    # CP-SAT on a DAG reports no intermediate solutions: the bar shows the time alone.
    def run(report: object = None) -> Record:
        return solve_dag(problem, args.method, time_limit=args.time_limit,
                         workers=args.workers, seed=args.seed)

    record = (with_time_bar(f"CP-SAT {problem.graph.name}", args.time_limit, run)
              if args.method == "cpsat" else run())
    if args.json:
        print_json(dag_json(problem, record))
    else:
        extra = f", bound {record.bound:.2f}" if record.bound is not None else ""
        print(f"{problem.graph.name} on {problem.platform.name}, {args.method}: makespan "
              f"{record.objective:.2f} us{extra}, {record.status}, valid={record.valid}, "
              f"{record.wall_s:.3f} s")
    return 0 if record.valid else 1


def simulate(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``simulate soc``: one stream under one online scheduler, heuristic or learned."""
    from decisiongym.bench.soc.simulate import simulate_stream
    from decisiongym.envs.core.errors import InputError

    if args.warmup_jobs is not None and args.warmup_jobs >= args.jobs:
        raise InputError(f"must be below --jobs {args.jobs}, got {args.warmup_jobs}: the "
                         "warm-up would leave no job to measure", "--warmup-jobs")
    record = simulate_stream(
        args.scheduler, platform=args.platform, mix=args.mix, rate_jobs_per_ms=args.rate,
        n_jobs=args.jobs, noise=args.noise, noise_model=args.noise_model,
        warmup_jobs=args.warmup_jobs, seed=args.seed, checkpoint=args.checkpoint,
        mode=args.mode,
    )
    if args.json:
        print_json(record.as_json())
        return 0
    metrics = record.metrics
    mode = "" if record.mode == "default" else f" ({record.mode} mode)"
    print(f"{record.scheduler}{mode} on {record.platform}, mix {record.mix}, "
          f"{record.rate_jobs_per_ms} jobs/ms, {record.jobs} jobs ({record.warmup_jobs} "
          f"warm-up), noise {record.noise}")
    print(f"  latency mean {metrics['latency_mean_us']:.1f} us, p95 "
          f"{metrics['latency_p95_us']:.1f} us")
    print(f"  throughput {metrics['throughput_jobs_per_ms']:.3f} jobs/ms, completed "
          f"{int(metrics['completed_jobs'])}")
    print(f"  energy {metrics['energy_j']:.4f} J, EDP {metrics['edp_j_s']:.3e} J s, "
          f"mean PE utilisation {metrics['mean_utilisation']:.3f}")
    print(f"  {record.wall_s:.3f} s wall, {record.cpu_s:.3f} s CPU")
    return 0


def train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``train soc``: the order policy, imitation of ETF then REINFORCE."""
    from dataclasses import replace

    from decisiongym.agents.soc.training import TrainConfig
    from decisiongym.agents.soc.training import train as train_policy

    config = TrainConfig(seed=args.seed, out=args.out, resume=args.resume,
                         checkpoint_dir=args.checkpoint_dir, log_dir=args.log_dir)
    if args.imitation_episodes is not None:
        config = replace(config, imitation_episodes=args.imitation_episodes)
    if args.episodes is not None:
        config = replace(config, pg_episodes=args.episodes)
    if args.rate is not None:
        config = replace(config, rate_jobs_per_ms=args.rate)
    t0 = time.perf_counter()
    train_policy(config, progress=True)
    print(f"weights written to {args.out} ({time.perf_counter() - t0:.0f} s)")
    return 0


def bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``bench soc``: the stream grid, the DAG table and the speed table, or the speed table
    alone re-rendered into a previous run's report."""
    if args.speed_only:
        from decisiongym.bench.soc.grid import remeasure_speed
        from decisiongym.envs.core.errors import InputError

        try:
            path = remeasure_speed(args.out_dir, command_line(argv))
        except (FileNotFoundError, ValueError) as exc:
            # remeasure_speed's documented refusals: no full run in --out-dir, or an older one
            raise InputError(str(exc), "--out-dir") from None
        print_report(path)
        return 0
    from decisiongym.bench.soc.grid import run_benchmark

    print_report(run_benchmark(seeds=args.seeds, quick=args.quick, processes=args.processes,
                               out_dir=args.out_dir, command=command_line(argv),
                               backend=args.backend, address=args.address,
                               speed=not args.no_speed))
    return 0

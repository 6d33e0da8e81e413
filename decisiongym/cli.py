"""The ``decisiongym`` command: list environments, solve one instance, run a benchmark."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

# The method names come from a module that imports nothing heavy: building the parser (and so
# `--help` and `list`) must not load numba, torch or OR-Tools.
from decisiongym.baselines.jobshop.names import DEFAULT_SCHEME, METHODS, SCHEME_NAMES

if TYPE_CHECKING:
    from decisiongym.bench.record import Record
    from decisiongym.envs.jobshop.instance import JobShopInstance


def _positive(value: str) -> float:
    number = float(value)
    if number <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {value}")
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return number


def build_parser() -> argparse.ArgumentParser:
    from decisiongym import __version__

    parser = argparse.ArgumentParser(
        prog="decisiongym",
        description="Decision environments, baselines and benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"decisiongym {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    commands.add_parser("list", help="print every environment id with a one-line description",
                        description="Print every registered environment id.")

    solve = commands.add_parser("solve", help="solve one problem instance with a named method",
                                description="Solve one problem instance with a named method.")
    solve_families = solve.add_subparsers(dest="family", required=True, metavar="FAMILY")
    js = solve_families.add_parser(
        "jobshop", help="job-shop scheduling",
        description="Solve a job-shop instance: a built-in name (ta01-ta80, ft06) or a file in "
        "OR-Library or Taillard format. Prints the makespan, or one JSON object with --json.",
    )
    js.add_argument("instance", help="built-in name (ta41) or path to an instance file")
    js.add_argument("--method", required=True, choices=METHODS,
                    help="dispatching rule, cpsat, or learned (the trained dispatching network)")
    js.add_argument("--scheme", default=None, choices=SCHEME_NAMES,
                    help=f"schedule-generation scheme of the rules (default: {DEFAULT_SCHEME}; "
                    "learned uses its network's)")
    js.add_argument("--time-limit", type=_positive, default=10.0,
                    help="CP-SAT time limit in seconds (default: 10)")
    js.add_argument("--workers", type=_count, default=2,
                    help="CP-SAT search workers (default: 2; learned runs on one core)")
    js.add_argument("--seed", type=int, default=0,
                    help="seed of random, of CP-SAT and of learned's sampling")
    js.add_argument("--samples", type=int, default=None,
                    help="learned: rollouts, the best one kept (default: 1, greedy)")
    js.add_argument("--checkpoint", default=None, metavar="FILE",
                    help="learned: network file (default: the shipped one)")
    js.add_argument("--gantt", metavar="FILE.png", help="write the schedule's Gantt chart")
    js.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    simulate = commands.add_parser(
        "simulate", help="run an agent or online policy on an environment over seeds",
        description="Run an agent on an environment for several seeds and report its metrics.",
    )
    simulate_families = simulate.add_subparsers(dest="family", required=True, metavar="FAMILY")
    sb = simulate_families.add_parser(
        "bandits", help="a bandit agent on a bandit env: regret and the suite's metrics",
        description="Play a bandit agent on a registered bandit env id (see `decisiongym list`) "
        "for --seeds seeds; print cumulative regret (mean and 95% interval), suffix-failure "
        "frequency, MinFrac and speed, computed from the env's oracle.",
    )
    sb.add_argument("env_id", help="registered bandit env id, e.g. "
                    "decisiongym/MAB-Bernoulli-Easy-K5-Video-v0")
    sb.add_argument("--agent", required=True, help="agent name (e.g. ucb1, linucb, neucb-kl)")
    sb.add_argument("--horizon", type=_count, default=None,
                    help="rounds per run (default: the env's horizon)")
    sb.add_argument("--seeds", type=_count, default=5, help="number of seeds 0..K-1 (default 5)")
    sb.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                    help="agent hyper-parameter, repeatable (numbers parsed as numbers)")
    sb.add_argument("--env-param", action="append", default=[], metavar="KEY=VALUE",
                    help="env argument, repeatable")
    sb.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    soc = solve_families.add_parser(
        "soc", help="one task DAG on a heterogeneous SoC",
        description="Schedule one application DAG on a platform with a static list scheduler "
        "or CP-SAT; prints the makespan, or one JSON object with --json. DAG and platform are "
        "built-in names (wifi_tx, wifi_rx, range_detection, sc_tx, sc_rx, temporal_mitigation, "
        "topcuoglu; platforms default, topcuoglu) or JSON files in the documented formats.",
    )
    soc.add_argument("dag", help="built-in application name or path to a JSON application")
    soc.add_argument("--platform", default="default",
                     help="built-in platform name or path to a JSON platform (default: default)")
    soc.add_argument("--method", required=True, choices=("heft", "peft", "cpop", "cpsat"),
                     help="static scheduler")
    soc.add_argument("--time-limit", type=_positive, default=10.0,
                     help="CP-SAT time limit in seconds (default: 10)")
    soc.add_argument("--workers", type=_count, default=2, help="CP-SAT workers (default: 2)")
    soc.add_argument("--seed", type=int, default=0, help="CP-SAT seed")
    soc.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    ss = simulate_families.add_parser(
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
                    choices=("met", "etf", "eft", "stf", "heft-rt", "random", "round-robin",
                             "learned"),
                    help="online scheduler (learned: the shipped DeepSoCS-style policy, or "
                    "--checkpoint)")
    ss.add_argument("--checkpoint", default=None,
                    help="policy file for --scheduler learned (default: the shipped one)")
    ss.add_argument("--rate", type=_positive, default=2.0,
                    help="injection rate in jobs per ms (default: 2, DS3's default)")
    ss.add_argument("--jobs", type=_count, default=1000, help="jobs in the stream (default 1000)")
    ss.add_argument("--noise", type=float, default=0.0,
                    help="execution-time noise sigma as a fraction of the mean (default 0)")
    ss.add_argument("--noise-model", default="gaussian", choices=("gaussian", "lognormal"),
                    help="noise distribution when --noise > 0 (default: gaussian)")
    ss.add_argument("--warmup-jobs", type=int, default=None,
                    help="leading jobs left out of the statistics (default: 10%% of --jobs)")
    ss.add_argument("--seed", type=int, default=0, help="seed of arrivals, mix and noise")
    ss.add_argument("--json", action="store_true", help="print one JSON object on stdout")

    train = commands.add_parser("train", help="train an agent",
                                description="Train an agent and write its weights.")
    train_families = train.add_subparsers(dest="family", required=True, metavar="FAMILY")
    ts = train_families.add_parser(
        "soc", help="the DeepSoCS-style SoC scheduler: imitation of ETF, then REINFORCE",
        description="Train the SoC order policy: imitation of ETF's decisions, then "
        "REINFORCE with a learned baseline on decisiongym/SoC-TaskOnly-v0 episodes. With the "
        "defaults it reproduces the shipped weights (decisiongym/data/soc_policy.pt).",
    )
    ts.add_argument("--out", default="soc_policy.pt", help="weights file to write")
    ts.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    ts.add_argument("--imitation-episodes", type=int, default=None,
                    help="expert episodes for imitation (default: the shipped setting)")
    ts.add_argument("--episodes", type=int, default=None,
                    help="policy-gradient episodes (default: the shipped setting)")
    ts.add_argument("--rate", type=_positive, default=None,
                    help="injection rate of the training episodes, jobs/ms")
    ts.add_argument("--resume", default=None,
                    help="start from these weights and skip imitation")
    ts.add_argument("--checkpoint-dir", default=None,
                    help="save the policy after imitation and at each validation here")
    ts.add_argument("--log-dir", default=None,
                    help="TensorBoard logs (when tensorboard is installed)")
    tj = train_families.add_parser(
        "jobshop", help="train a job-shop dispatching network (CP-guided imitation or PPO)",
        description="Train the size-agnostic job-shop dispatching network on random "
        "Taillard-style instances: --method cp-imitation (CP-SAT completes the network's "
        "schedules and the network imitates what CP-SAT improves) or --method ppo "
        "(MaskablePPO, reward = decrease of the makespan lower bound). Writes the best network "
        "on the validation instances to --out; use it with `solve jobshop --method learned "
        "--checkpoint FILE`.",
    )
    tj.add_argument("--method", required=True, choices=("cp-imitation", "ppo"))
    tj.add_argument("--out", default="jobshop_dispatch.pt",
                    help="checkpoint written at the end (default: ./jobshop_dispatch.pt)")
    tj.add_argument("--seed", type=int, default=0)
    tj.add_argument("--iterations", type=_count, default=None,
                    help="cp-imitation: improvement iterations (default 2000)")
    tj.add_argument("--cp-time", type=_positive, default=None,
                    help="cp-imitation: CP-SAT's deterministic time per completion (default 1)")
    tj.add_argument("--timesteps", type=_count, default=None,
                    help="ppo: environment steps (default 200,000; with --resume, steps added)")
    tj.add_argument("--init", default=None,
                    help="ppo: start from this network checkpoint (e.g. a cp-imitation one)")
    tj.add_argument("--resume", default=None,
                    help="cp-imitation: a network checkpoint to continue from; ppo: a "
                    "model_*.zip from --checkpoint-dir")
    tj.add_argument("--checkpoint-dir", default=None,
                    help="write a checkpoint at every validation into this folder")
    tj.add_argument("--log-dir", default=None, help="TensorBoard log folder")


    bench = commands.add_parser("bench", help="run a benchmark and write its results tables",
                                description="Run a benchmark grid and write markdown and CSV.")
    bench_families = bench.add_subparsers(dest="family", required=True, metavar="FAMILY")
    bjs = bench_families.add_parser(
        "jobshop", help="CP-SAT, every rule under every scheme, the learned rule, speed",
        description="Per instance: every dispatching rule under every scheme; the learned rule "
        "greedy, and on instances of 50 jobs or more best of --samples and CP-SAT given the "
        "same wall time; CP-SAT at the time limit and CP-SAT warm-started from the best rule "
        "on --cpsat-instances; then the simulator-speed table beside the peer envs that are "
        "installed. Writes jobshop.md, jobshop.csv, jobshop_speed.csv.",
    )
    bjs.add_argument("--instances", default="ta01-ta10,ta41,ta71",
                     help="comma list of built-in names and ranges, instance files and folders "
                     "of instance files (default: ta01-ta10,ta41,ta71)")
    bjs.add_argument("--cpsat-instances", default=None, metavar="NAMES",
                     help="the instances of the fixed-budget CP-SAT runs, among --instances "
                     "(default: all of them)")
    bjs.add_argument("--bounds", default=None, metavar="FILE.json",
                     help="best-known bounds for the gaps, replacing the instances' own: a JSON "
                     "object {name: {\"lb\": int, \"ub\": int}} (OR-Library files carry none)")
    bjs.add_argument("--samples", type=_count, default=32,
                     help="rollouts of the learned rule's best-of-N runs (default: 32; 1 skips "
                     "them and the time-matched CP-SAT)")
    bjs.add_argument("--checkpoint", default=None, metavar="FILE",
                     help="the learned rule's network (default: the shipped one; without one "
                     "the learned runs are skipped)")
    bjs.add_argument("--time-limit", type=_positive, default=10.0,
                     help="CP-SAT time limit per instance in seconds (default: 10)")
    bjs.add_argument("--workers", type=_count, default=2,
                     help="CP-SAT workers of the fixed-budget runs (default: 2); the learned "
                     "rule and its time-matched CP-SAT use one core")
    bjs.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    bjs.add_argument("--out-dir", default="benchmarks/results",
                     help="folder of the results files (default: benchmarks/results)")
    bjs.add_argument("--backend", default="local", choices=("local", "ray"),
                     help="where cells run (default: local, one after the other)")
    bjs.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bjs.add_argument("--no-speed", action="store_true", help="skip the simulator-speed table")
    bjs.add_argument("--speed-seconds", type=_positive, default=3.0,
                     help="seconds of stepping per env in the speed table (default: 3)")
    bjs.add_argument("--no-warm", action="store_true",
                     help="skip CP-SAT warm-started from the best rule")

    bb = bench_families.add_parser(
        "bandits", help="regret tables and plots of every bandit agent, speed vs peers",
        description="Every agent on the bandit suites (BanditBench MAB, synthetic contextual, "
        "classification, SOR relaxation, one-sided fairness) over seeds; regret with 95% "
        "intervals, suffix-failure frequency, MinFrac, win-rates, regret plots; LinUCB and SOR "
        "speed against MABWiser and scipy in the same run. Writes bandits.md, bandits.csv, PNGs.",
    )
    bb.add_argument("--seeds", type=_count, default=10, help="seeds per cell (default: 10)")
    bb.add_argument("--suites", default="all",
                    help="comma list of suites: mab,contextual,classification,sor,fairness "
                    "(default: all)")
    bb.add_argument("--quick", action="store_true",
                    help="short horizons and few seeds, for a smoke run")
    bb.add_argument("--processes", type=_count, default=2,
                    help="local worker processes (default: 2)")
    bb.add_argument("--out-dir", default="benchmarks/results",
                    help="folder of the results files (default: benchmarks/results)")
    bb.add_argument("--backend", default="local", choices=("local", "ray"),
                    help="where cells run (default: local)")
    bb.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bb.add_argument("--no-speed", action="store_true", help="skip the speed table")

    bs = bench_families.add_parser(
        "soc", help="online SoC schedulers over an injection-rate sweep, single DAGs, speed",
        description="Every online scheduler (and a learned one when available) on DS3's default "
        "platform and mix over injection rates past saturation, noise sigma 0/0.1/0.3 and seeds: "
        "latency mean/p95, throughput, energy with 95% intervals and saturation rates; HEFT, "
        "PEFT, CPOP against CP-SAT on small DAGs; simulator, env and HEFT speed. Writes soc.md, "
        "soc.csv, soc_dags.csv, soc_speed.csv and soc_latency.png.",
    )
    bs.add_argument("--seeds", type=_count, default=10, help="seeds per cell (default: 10)")
    bs.add_argument("--quick", action="store_true",
                    help="few rates, jobs and seeds, for a smoke run")
    bs.add_argument("--processes", type=_count, default=2,
                    help="local worker processes (default: 2)")
    bs.add_argument("--out-dir", default="benchmarks/results",
                    help="folder of the results files (default: benchmarks/results)")
    bs.add_argument("--backend", default="local", choices=("local", "ray"),
                    help="where cells run (default: local)")
    bs.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bs.add_argument("--no-speed", action="store_true", help="skip the speed table")
    bs.add_argument("--speed-only", action="store_true",
                    help="measure only the speed table again and re-render soc.md from the "
                         "stream and DAG records of a previous full run in --out-dir")
    return parser


def _parse_params(pairs: Sequence[str], flag: str) -> dict[str, object]:
    """``["alpha=0.5", "hidden=64"]`` -> ``{"alpha": 0.5, "hidden": 64}``."""
    params: dict[str, object] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{flag} expects KEY=VALUE, got {pair!r}")
        value: object = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        if raw in ("true", "false"):
            value = raw == "true"
        params[key] = value
    return params


def _simulate_bandits(args: argparse.Namespace) -> int:
    from decisiongym.bench.bandits.grid import run_bandit
    from decisiongym.bench.bandits.metrics import summarize
    from decisiongym.bench.runner import progress_bar

    agent_kwargs = _parse_params(args.param, "--param")
    env_kwargs = _parse_params(args.env_param, "--env-param")
    traces = []
    with progress_bar(transient=True) as bar:
        task = bar.add_task(f"{args.agent} on {args.env_id}", total=args.seeds, status="")
        for seed in range(args.seeds):
            traces.append(run_bandit(args.env_id, args.agent, seed, args.horizon, env_kwargs,
                                     agent_kwargs))
            bar.update(task, advance=1)
    summary = summarize(traces)
    record = {"env": args.env_id, "agent": args.agent, "seeds": args.seeds,
              "agent_params": agent_kwargs, "env_params": env_kwargs, **summary,
              "regret_per_seed": [float(t.cumulative_regret[-1]) for t in traces]}
    if args.json:
        print(json.dumps(record))
    else:
        print(f"{args.agent} on {args.env_id}: {int(summary['horizon'])} rounds x {args.seeds} "
              f"seeds")
        print(f"  cumulative regret  {summary['regret_mean']:.2f} +/- "
              f"{summary['regret_ci95']:.2f} (95% interval)")
        print(f"  suffix failure     {summary['suffix_failure']:.2f} (never the best arm after "
              "half the horizon)")
        print(f"  MinFrac            {summary['min_frac']:.3f}")
        print(f"  mean reward        {summary['reward_mean']:.4f}")
        for key, value in summary.items():
            if key.endswith("_total_mean"):
                print(f"  {key.removesuffix('_total_mean'):<18} {value:.1f} per run")
        print(f"  wall time          {summary['wall_s_mean']:.3f} s per run")
    return 0


def _bench_bandits(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from decisiongym.bench.bandits.grid import run_benchmark

    command = "decisiongym " + " ".join(shlex.quote(a) for a in argv)
    suites = None if args.suites == "all" else [s.strip() for s in args.suites.split(",")]
    path = run_benchmark(seeds=args.seeds, suites=suites, quick=args.quick,
                         processes=args.processes, out_dir=args.out_dir, command=command,
                         backend=args.backend, address=args.address, speed=not args.no_speed)
    print(path.read_text())
    print(f"written: {path}")
    return 0


def _bench_soc(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from decisiongym.bench.soc.grid import run_benchmark

    command = "decisiongym " + " ".join(shlex.quote(a) for a in argv)
    if args.speed_only:
        from decisiongym.bench.soc.grid import remeasure_speed

        path = remeasure_speed(args.out_dir, command)
        print(path.read_text())
        print(f"written: {path}")
        return 0
    path = run_benchmark(seeds=args.seeds, quick=args.quick, processes=args.processes,
                         out_dir=args.out_dir, command=command, backend=args.backend,
                         address=args.address, speed=not args.no_speed)
    print(path.read_text())
    print(f"written: {path}")
    return 0


def _list() -> int:
    from decisiongym import ENVIRONMENTS

    width = max(len(e.id) for e in ENVIRONMENTS)
    for entry in ENVIRONMENTS:
        print(f"{entry.id:<{width}}  {entry.description}")
    return 0


def _solve_jobshop(args: argparse.Namespace) -> int:
    from decisiongym.bench.jobshop.grid import solve_jobshop, solve_json
    from decisiongym.envs.jobshop.instance import load_instance

    if args.method != "learned":
        for flag, value in (("--samples", args.samples), ("--checkpoint", args.checkpoint)):
            if value is not None:
                raise ValueError(f"{flag} applies only to --method learned")
    elif args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be >= 1, got {args.samples}")
    instance = load_instance(args.instance)
    if args.method == "cpsat":
        record = _with_time_bar(
            f"CP-SAT {instance.name}", args.time_limit,
            lambda report: solve_jobshop(instance, "cpsat", time_limit=args.time_limit,
                                         workers=args.workers, seed=args.seed,
                                         on_solution=report),
        )
    elif args.method == "learned":
        record = _solve_learned(instance, args)
    else:
        record = solve_jobshop(instance, args.method, args.scheme or DEFAULT_SCHEME,
                               seed=args.seed)
    if args.gantt and record.solution is not None:
        from decisiongym.envs.jobshop.render import save_gantt

        scheme = f" ({record.extra['scheme']})" if record.extra["scheme"] else ""
        save_gantt(record.solution, args.gantt,
                   f"{instance.name}: {record.method}{scheme}, makespan {record.objective}")
    if args.json:
        print(json.dumps(solve_json(record)))
    else:
        scheme = f", {record.extra['scheme']} scheme" if record.extra["scheme"] else ""
        bound = f", bound {record.bound}" if record.bound is not None else ""
        known = (f" (best known {instance.upper_bound})" if instance.upper_bound is not None
                 else "")
        samples = ""
        if record.method == "learned":
            count = record.extra["samples"]
            samples = (", greedy (1 sample)" if count == 1 else
                       f", best of {count} samples (temperature "
                       f"{record.extra['temperature']:.2f})")
        print(f"{instance.name} {record.method}{scheme}: makespan {record.objective}{bound}"
              f"{known}, {record.status}, valid={record.valid}, {record.wall_s:.3f} s{samples}")
        if args.gantt:
            print(f"Gantt chart written to {args.gantt}")
    return 0 if record.valid else 1


def _solve_learned(instance: JobShopInstance, args: argparse.Namespace) -> Record:
    from decisiongym.bench.jobshop.grid import solve_jobshop

    try:
        record = solve_jobshop(instance, "learned", workers=args.workers, seed=args.seed,
                               samples=args.samples or 1, checkpoint=args.checkpoint)
    except FileNotFoundError as exc:
        if args.checkpoint is not None:
            raise
        raise FileNotFoundError(f"{exc} (this installation ships none); pass "
                                "--checkpoint FILE") from None
    if args.scheme is not None and args.scheme != record.extra["scheme"]:
        raise ValueError(f"the network dispatches under the {record.extra['scheme']} scheme; "
                         f"--scheme {args.scheme} does not apply to it")
    return record


def _with_time_bar(title: str, limit: float, run):
    """Run ``run(report)`` under a progress bar that fills with elapsed time up to ``limit``."""
    from decisiongym.bench.runner import progress_bar

    best = {"status": ""}

    def report(wall_s: float, objective: float, bound: float) -> None:
        best["status"] = f"best {objective:.0f}, bound {bound:.0f}"

    done = threading.Event()
    with progress_bar(transient=True) as bar:
        task = bar.add_task(title, total=round(limit), status="")
        start = time.perf_counter()

        def tick() -> None:
            while not done.wait(0.25):
                bar.update(task, completed=min(round(time.perf_counter() - start), round(limit)),
                           status=best["status"])

        ticker = threading.Thread(target=tick, daemon=True)
        ticker.start()
        try:
            return run(report)
        finally:
            done.set()
            ticker.join()


def _solve_soc(args: argparse.Namespace) -> int:
    from decisiongym.envs.core.errors import ValidationError
    from decisiongym.envs.soc.builtin import load_application, load_platform
    from decisiongym.envs.soc.solution import validate

    try:
        platform = load_platform(args.platform)
        graph = load_application(args.dag, platform)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    bound = None
    if args.method == "cpsat":
        from decisiongym.baselines.soc.cpsat import solve_dag_cpsat

        result = _with_time_bar(
            f"CP-SAT {graph.name}", args.time_limit,
            lambda report: solve_dag_cpsat(graph, platform, time_limit=args.time_limit,
                                           workers=args.workers, seed=args.seed),
        )
        trace, makespan, bound, status, wall_s = result
    else:
        from decisiongym.baselines.soc.list_scheduling import SCHEDULERS

        scheduled = SCHEDULERS[args.method](graph, platform)
        trace, makespan, status, wall_s = (scheduled.trace, scheduled.makespan, "FEASIBLE",
                                           scheduled.wall_s)
    try:
        validate(platform, graph, trace)
        valid = True
    except ValidationError:
        valid = False
    if args.json:
        records = [{key: r[key] for key in ("task", "task_name", "pe", "pe_name", "start",
                                            "finish")}
                   for r in trace.to_records(graph, platform)]
        print(json.dumps({"dag": graph.name, "platform": platform.name, "method": args.method,
                          "makespan": makespan, "bound": bound, "status": status,
                          "wall_s": round(wall_s, 6), "valid": valid, "trace": records}))
    else:
        extra = f", bound {bound:.2f}" if bound is not None else ""
        print(f"{graph.name} on {platform.name}, {args.method}: makespan {makespan:.2f} us"
              f"{extra}, {status}, valid={valid}, {wall_s:.3f} s")
    return 0 if valid else 1


def _simulate_soc(args: argparse.Namespace) -> int:
    import numpy as np

    from decisiongym.baselines.soc.online import simulate
    from decisiongym.envs.soc.builtin import load_application, load_platform
    from decisiongym.envs.soc.workload import ds3_workload, poisson_workload

    if args.noise < 0:
        raise ValueError(f"--noise must be >= 0, got {args.noise}")
    try:
        platform = load_platform(args.platform)
        rng = np.random.default_rng(args.seed)
        noise = args.noise_model if args.noise > 0 else "none"
        if args.mix == "ds3":
            workload = ds3_workload(args.rate, args.jobs, rng, noise=noise, sigma=args.noise)
        else:
            names, weights = [], []
            for item in args.mix.split(","):
                name, _, weight = item.strip().partition(":")
                names.append(name)
                weights.append(float(weight) if weight else 1.0)
            apps = [load_application(name, platform) for name in names]
            probabilities = np.asarray(weights) / np.sum(weights)
            workload = poisson_workload(apps, probabilities, args.rate, args.jobs, rng,
                                        noise=noise, sigma=args.noise)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    warmup = args.warmup_jobs if args.warmup_jobs is not None else args.jobs // 10
    t0, c0 = time.perf_counter(), time.process_time()
    if args.scheduler == "learned":
        from decisiongym.agents.soc.policy import simulate_learned

        result = simulate_learned(platform, workload, args.checkpoint, warmup_jobs=warmup)
    else:
        result = simulate(platform, workload, args.scheduler, seed=args.seed,
                          warmup_jobs=warmup)
    wall_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    record = {"platform": platform.name, "mix": args.mix, "scheduler": args.scheduler,
              "rate_jobs_per_ms": args.rate, "jobs": args.jobs, "warmup_jobs": warmup,
              "noise": args.noise, "noise_model": noise, "seed": args.seed,
              **result.metrics(), "wall_s": round(wall_s, 6), "cpu_s": round(cpu_s, 6),
              "jobs_per_cpu_s": args.jobs / cpu_s if cpu_s > 0 else None}
    if args.json:
        print(json.dumps(record))
    else:
        print(f"{args.scheduler} on {platform.name}, mix {args.mix}, {args.rate} jobs/ms, "
              f"{args.jobs} jobs ({warmup} warm-up), noise {args.noise}")
        print(f"  latency mean {record['latency_mean_us']:.1f} us, p95 "
              f"{record['latency_p95_us']:.1f} us")
        print(f"  throughput {record['throughput_jobs_per_ms']:.3f} jobs/ms, completed "
              f"{int(record['completed_jobs'])}")
        print(f"  energy {record['energy_j']:.4f} J, EDP {record['edp_j_s']:.3e} J s, "
              f"mean PE utilisation {record['mean_utilisation']:.3f}")
        print(f"  {wall_s:.3f} s wall, {cpu_s:.3f} s CPU")
    return 0


def _train_jobshop(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rich.progress import Progress

    from decisiongym.agents.jobshop.cp_imitation import CPImitationConfig, train_cp_imitation
    from decisiongym.agents.jobshop.ppo import PPOConfig, train_ppo

    title = "CP-guided imitation" if args.method == "cp-imitation" else "MaskablePPO"
    with Progress(transient=False) as bar:
        task = bar.add_task(title, total=None)

        def advance(done: int, stats: dict[str, float]) -> None:
            bar.update(task, completed=done, description=_describe(title, stats))

        if args.method == "cp-imitation":
            cp_config = CPImitationConfig(seed=args.seed, resume=args.resume, out=args.out,
                                          checkpoint_dir=args.checkpoint_dir,
                                          log_dir=args.log_dir)
            if args.iterations is not None:
                cp_config = replace(cp_config, iterations=args.iterations)
            if args.cp_time is not None:
                cp_config = replace(cp_config, cp_time=args.cp_time)
            bar.update(task, total=cp_config.iterations)
            _, log = train_cp_imitation(cp_config, advance)
        else:
            ppo_config = PPOConfig(seed=args.seed, init=args.init, resume=args.resume,
                                   out=args.out, checkpoint_dir=args.checkpoint_dir,
                                   log_dir=args.log_dir)
            if args.timesteps is not None:
                ppo_config = replace(ppo_config, timesteps=args.timesteps)
            bar.update(task, total=ppo_config.timesteps)
            _, log = train_ppo(ppo_config, advance)
    score = log.scores[-1][1]
    best = min(value for _, value in log.scores)
    print(f"network written to {args.out} ({log.wall_s:.0f} s); validation makespan / best of "
          f"SPT, MWKR, FDD-MWKR: best {best:.4f}, last {score:.4f}")
    return 0


def _describe(title: str, stats: dict[str, float]) -> str:
    parts = [f"{k} {v:.3f}" for k, v in stats.items() if k in ("loss", "score")]
    return title + (" (" + ", ".join(parts) + ")" if parts else "")


def _train_soc(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from decisiongym.agents.soc.training import TrainConfig, train

    config = TrainConfig(seed=args.seed, out=args.out, resume=args.resume,
                         checkpoint_dir=args.checkpoint_dir, log_dir=args.log_dir)
    if args.imitation_episodes is not None:
        config = replace(config, imitation_episodes=args.imitation_episodes)
    if args.episodes is not None:
        config = replace(config, pg_episodes=args.episodes)
    if args.rate is not None:
        config = replace(config, rate_jobs_per_ms=args.rate)
    t0 = time.perf_counter()
    train(config, progress=True)
    print(f"weights written to {args.out} ({time.perf_counter() - t0:.0f} s)")
    return 0


def _bench_jobshop(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from decisiongym.bench.jobshop.grid import run_benchmark
    from decisiongym.envs.jobshop.instance import expand_instance_sources

    names = expand_instance_sources(args.instances)
    cpsat_names = (None if args.cpsat_instances is None
                   else expand_instance_sources(args.cpsat_instances))
    command = "decisiongym " + " ".join(shlex.quote(a) for a in argv)
    path = run_benchmark(
        names, time_limit=args.time_limit, workers=args.workers, seed=args.seed,
        out_dir=args.out_dir, command=command, backend=args.backend, address=args.address,
        speed=not args.no_speed, speed_seconds=args.speed_seconds, warm=not args.no_warm,
        cpsat_instances=cpsat_names, checkpoint=args.checkpoint, samples=args.samples,
        bounds=args.bounds,
    )
    print(path.read_text())
    print(f"written: {path} (+ {Path(args.out_dir) / 'jobshop.csv'})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    from decisiongym.envs.core.errors import DecisionGymError

    try:
        if args.command == "list":
            return _list()
        if args.command == "solve" and args.family == "jobshop":
            return _solve_jobshop(args)
        if args.command == "solve" and args.family == "soc":
            return _solve_soc(args)
        if args.command == "bench" and args.family == "jobshop":
            return _bench_jobshop(args, argv)
        if args.command == "simulate" and args.family == "bandits":
            return _simulate_bandits(args)
        if args.command == "simulate" and args.family == "soc":
            return _simulate_soc(args)
        if args.command == "train" and args.family == "soc":
            return _train_soc(args)
        if args.command == "train" and args.family == "jobshop":
            return _train_jobshop(args)
        if args.command == "bench" and args.family == "bandits":
            return _bench_bandits(args, argv)
        if args.command == "bench" and args.family == "soc":
            return _bench_soc(args, argv)
    except (DecisionGymError, ValueError, FileNotFoundError) as exc:
        print(f"decisiongym: error: {exc}", file=sys.stderr)
        return 2
    raise AssertionError(f"unhandled command {args.command!r}")


if __name__ == "__main__":
    sys.exit(main())

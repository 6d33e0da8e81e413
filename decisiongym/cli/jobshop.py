"""``decisiongym solve|train|bench jobshop``: the job-shop family's commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from decisiongym.cli.common import (
    MAX_SECONDS,
    MAX_SEED,
    MAX_WORKERS,
    Verbs,
    bounded_float,
    bounded_int,
    command_line,
    image_file,
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
from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME, FAMILY, SCHEME_NAMES

if TYPE_CHECKING:
    from decisiongym.bench.record import Record

MAX_SAMPLES = 4096
"""Most rollouts of one learned solve from the command line: they run as one batch, whose state
grows with the count (the Python API, ``decisiongym.agents.jobshop.inference.rollout``, takes
more)."""

samples = bounded_int(1, MAX_SAMPLES, beyond="the Python API "
                      "(decisiongym.agents.jobshop.inference.rollout) takes more")
# below 1 is refused by the handler, where it names --method learned's own rule
solve_samples = bounded_int(-MAX_SAMPLES, MAX_SAMPLES, beyond="the Python API "
                            "(decisiongym.agents.jobshop.inference.rollout) takes more")
iterations = bounded_int(1, 10**7)
timesteps = bounded_int(1, 10**10)
cp_time = bounded_float(0.0, 3600.0, above=True)
speed_seconds = bounded_float(0.0, 3600.0, above=True)

TRAINING_METHODS = {"cp-imitation": "CP-guided imitation", "ppo": "MaskablePPO"}
"""The trainers of the dispatching network (``decisiongym.agents.jobshop``), by the name
``train jobshop --method`` takes, with the title of their progress bar."""


def add_parsers(verbs: Verbs) -> None:
    """Add ``jobshop`` under ``solve``, ``train`` and ``bench``."""
    _add_solve(verbs["solve"])
    _add_train(verbs["train"])
    _add_bench(verbs["bench"])


def _add_solve(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    js = families.add_parser(
        "jobshop", help="job-shop scheduling",
        description="Solve a job-shop instance: a built-in name (ta01-ta80, ft06) or a file in "
        "OR-Library or Taillard format. Prints the makespan, or one JSON object with --json.",
    )
    js.add_argument("instance", help="built-in name (ta41) or path to an instance file")
    js.add_argument("--method", required=True, choices=FAMILY.baseline_names + FAMILY.agents,
                    help="dispatching rule, cpsat, or learned (the trained dispatching network)")
    js.add_argument("--scheme", default=None, choices=SCHEME_NAMES,
                    help=f"schedule-generation scheme of the rules (default: {DEFAULT_SCHEME}; "
                    "learned uses its network's)")
    js.add_argument("--time-limit", type=positive, default=10.0,
                    help=f"CP-SAT time limit in seconds, in (0, {MAX_SECONDS:g}] (default: 10)")
    js.add_argument("--workers", type=workers, default=2,
                    help=f"CP-SAT search workers, 1..{MAX_WORKERS} (default: 2; learned runs "
                    "on one core)")
    js.add_argument("--seed", type=seed, default=0,
                    help=f"seed of random, of CP-SAT and of learned's sampling, 0..{MAX_SEED}")
    js.add_argument("--samples", type=solve_samples, default=None,
                    help=f"learned: rollouts, the best one kept, 1..{MAX_SAMPLES} (default: 1, "
                    "greedy)")
    js.add_argument("--checkpoint", default=None, metavar="FILE",
                    help="learned: network file (default: the shipped one)")
    js.add_argument("--gantt", type=image_file, metavar="FILE.png",
                    help="write the schedule's Gantt chart (.png, .svg or .pdf; .png added to "
                    "a name without a suffix)")
    js.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    js.set_defaults(handler=solve)


def _add_train(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tj = families.add_parser(
        "jobshop", help="train a job-shop dispatching network (CP-guided imitation or PPO)",
        description="Train the size-agnostic job-shop dispatching network on random "
        "Taillard-style instances: --method cp-imitation (CP-SAT completes the network's "
        "schedules and the network imitates what CP-SAT improves) or --method ppo "
        "(MaskablePPO, reward = decrease of the makespan lower bound). Writes the best network "
        "on the validation instances to --out; use it with `solve jobshop --method learned "
        "--checkpoint FILE`.",
    )
    tj.add_argument("--method", required=True, choices=tuple(TRAINING_METHODS))
    tj.add_argument("--out", type=output_file, default="jobshop_dispatch.pt",
                    help="checkpoint written at the end (default: ./jobshop_dispatch.pt)")
    tj.add_argument("--seed", type=seed, default=0, help=f"seed, 0..{MAX_SEED} (default: 0)")
    tj.add_argument("--iterations", type=iterations, default=None,
                    help="cp-imitation: improvement iterations, 1..10^7 (default 2000)")
    tj.add_argument("--cp-time", type=cp_time, default=None,
                    help="cp-imitation: CP-SAT's deterministic time per completion, in (0, "
                    "3600] (default 1)")
    tj.add_argument("--timesteps", type=timesteps, default=None,
                    help="ppo: environment steps, 1..10^10 (default 200,000; with --resume, "
                    "steps added)")
    tj.add_argument("--init", type=input_file, default=None,
                    help="ppo: start from this network checkpoint (e.g. a cp-imitation one)")
    tj.add_argument("--resume", type=input_file, default=None,
                    help="cp-imitation: a network checkpoint to continue from; ppo: a "
                    "model_*.zip from --checkpoint-dir")
    tj.add_argument("--checkpoint-dir", type=output_folder, default=None,
                    help="write a checkpoint at every validation into this folder")
    tj.add_argument("--log-dir", type=output_folder, default=None,
                    help="TensorBoard log folder")
    tj.set_defaults(handler=train)


def _add_bench(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bjs = families.add_parser(
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
    bjs.add_argument("--bounds", type=input_file, default=None, metavar="FILE.json",
                     help="best-known bounds for the gaps, replacing the instances' own: a JSON "
                     "object {name: {\"lb\": int, \"ub\": int}} (OR-Library files carry none)")
    bjs.add_argument("--samples", type=samples, default=32,
                     help=f"rollouts of the learned rule's best-of-N runs, 1..{MAX_SAMPLES} "
                     "(default: 32; 1 skips them and the time-matched CP-SAT)")
    bjs.add_argument("--checkpoint", type=input_file, default=None, metavar="FILE",
                     help="the learned rule's network (default: the shipped one; without one "
                     "the learned runs are skipped)")
    bjs.add_argument("--time-limit", type=positive, default=10.0,
                     help=f"CP-SAT time limit per instance in seconds, in (0, {MAX_SECONDS:g}] "
                     "(default: 10)")
    bjs.add_argument("--workers", type=workers, default=2,
                     help=f"CP-SAT workers of the fixed-budget runs, 1..{MAX_WORKERS} (default: "
                     "2); the learned rule and its time-matched CP-SAT use one core")
    bjs.add_argument("--seed", type=seed, default=0, help=f"seed, 0..{MAX_SEED} (default: 0)")
    bjs.add_argument("--out-dir", type=output_folder, default="benchmarks/results",
                     help="folder of the results files (default: benchmarks/results)")
    bjs.add_argument("--backend", default="local", choices=("local", "ray"),
                     help="where cells run (default: local, one after the other)")
    bjs.add_argument("--address", default=None, help="Ray cluster address for --backend ray")
    bjs.add_argument("--no-speed", action="store_true", help="skip the simulator-speed table")
    bjs.add_argument("--speed-seconds", type=speed_seconds, default=3.0,
                     help="seconds of stepping per env in the speed table, in (0, 3600] "
                     "(default: 3)")
    bjs.add_argument("--no-warm", action="store_true",
                     help="skip CP-SAT warm-started from the best rule")
    bjs.set_defaults(handler=bench)


def solve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``solve jobshop``: one instance, one method; exit 1 when the schedule is invalid."""
    from decisiongym.bench.jobshop.grid import solve_json
    from decisiongym.bench.jobshop.solve import bound_warnings, solve_instance
    from decisiongym.envs.core.errors import InputError, MissingFileError, PathError
    from decisiongym.envs.jobshop.catalog import load_instance

    if args.method != "learned":
        for flag, value in (("--samples", args.samples), ("--checkpoint", args.checkpoint)):
            if value is not None:
                raise InputError(f"{flag} applies only to --method learned")
    elif args.samples is not None and args.samples < 1:
        raise InputError(f"--samples must be >= 1, got {args.samples}")
    instance = load_instance(args.instance)

    def run(report: Callable[[float, float, float], None] | None = None) -> Record:
        return solve_instance(instance, args.method, args.scheme, time_limit=args.time_limit,
                              workers=args.workers, seed=args.seed, samples=args.samples,
                              checkpoint=args.checkpoint, on_solution=report)

    try:
        record = (with_time_bar(f"CP-SAT {instance.name}", args.time_limit, run)
                  if args.method == "cpsat" else run())
    except FileNotFoundError as exc:
        if args.method != "learned":
            raise
        if args.checkpoint is not None:
            raise MissingFileError(args.checkpoint, str(exc)) from None
        raise MissingFileError("the shipped network", f"{exc} (this installation ships none); "
                               "pass --checkpoint FILE") from None
    for warning in bound_warnings(instance, record):
        print(f"decisiongym: warning: {warning}", file=sys.stderr)
    written = None
    if args.gantt and record.solution is not None:
        from decisiongym.envs.jobshop.render import save_gantt

        scheme = f" ({record.extra['scheme']})" if record.extra["scheme"] else ""
        try:
            written = save_gantt(record.solution, args.gantt,
                                 f"{instance.name}: {record.method}{scheme}, makespan "
                                 f"{record.objective}")
        except OSError as exc:
            raise PathError(args.gantt, f"cannot be written ({exc.strerror or exc})") from None
    if args.json:
        print_json(solve_json(record))
    else:
        scheme = f", {record.extra['scheme']} scheme" if record.extra["scheme"] else ""
        bound = f", bound {record.bound}" if record.bound is not None else ""
        known = (f" (best known {instance.upper_bound})" if instance.upper_bound is not None
                 else "")
        samples_text = ""
        if record.method == "learned":
            samples_run = record.extra["samples"]
            samples_text = (", greedy (1 sample)" if samples_run == 1 else
                            f", best of {samples_run} samples (temperature "
                            f"{record.extra['temperature']:.2f})")
        print(f"{instance.name} {record.method}{scheme}: makespan {record.objective}{bound}"
              f"{known}, {record.status}, valid={record.valid}, {record.wall_s:.3f} s"
              f"{samples_text}")
        if written is not None:
            print(f"Gantt chart written to {written}")
        elif args.gantt:
            print(f"no schedule, so no Gantt chart written to {args.gantt}")
    return 0 if record.valid else 1


def train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``train jobshop``: the dispatching network by CP-guided imitation or MaskablePPO."""
    from dataclasses import replace

    from rich.progress import Progress

    from decisiongym.agents.jobshop.cp_imitation import CPImitationConfig, train_cp_imitation
    from decisiongym.agents.jobshop.ppo import PPOConfig, train_ppo

    title = TRAINING_METHODS[args.method]
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


def bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``bench jobshop``: the job-shop grid, its markdown and CSV."""
    from pathlib import Path

    from decisiongym.bench.jobshop.grid import run_benchmark
    from decisiongym.envs.jobshop.bounds import check_bounds, read_bounds
    from decisiongym.envs.jobshop.catalog import expand_instance_sources, load_instance

    names = expand_instance_sources(args.instances)
    cpsat_names = (None if args.cpsat_instances is None
                   else expand_instance_sources(args.cpsat_instances))
    if args.bounds is not None:
        # refused here, before any cell runs, rather than by the first cell of the instance
        check_bounds(read_bounds(args.bounds), map(load_instance, names), args.bounds)
    path = run_benchmark(
        names, time_limit=args.time_limit, workers=args.workers, seed=args.seed,
        out_dir=args.out_dir, command=command_line(argv), backend=args.backend,
        address=args.address, speed=not args.no_speed, speed_seconds=args.speed_seconds,
        warm=not args.no_warm, cpsat_instances=cpsat_names, checkpoint=args.checkpoint,
        samples=args.samples, bounds=args.bounds,
    )
    print_report(path, Path(args.out_dir) / "jobshop.csv")
    return 0

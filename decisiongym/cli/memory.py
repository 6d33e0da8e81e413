"""``decisiongym solve|trace|bench memory``: the memory family's commands."""

from __future__ import annotations

import argparse
import re
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
    input_folder,
    output_file,
    output_folder,
    positive,
    print_json,
    print_report,
    seed,
    with_time_bar,
    workers,
)
from decisiongym.envs.memory.ids import FAMILY

if TYPE_CHECKING:
    from decisiongym.bench.record import Record
    from decisiongym.envs.core.errors import InputError

MAX_BYTES = 2**62
"""Largest ``--capacity`` in bytes: the family's limit on any size or offset."""

MODES = ("allocation", "mapping")
OBJECTIVES = ("feasibility", "peak")
ORDERS = ("size", "area", "start")
HARDWARE = ("tpu-like", "gpu-like")
# the same names as decisiongym.bench.memory.methods and envs.memory.hardware, which import
# numba; building the parser must stay light, and a test keeps the lists equal

_bytes = bounded_int(1, MAX_BYTES)
_fraction = bounded_float(0.0, 1.0, above=True)


def capacity(value: str) -> int | float:
    """An argument type: bytes (an integer in [1, 2**62]) or a fraction in (0, 1] of the
    workload's peak live bytes (a number written with a point or an exponent)."""
    if re.fullmatch(r"\s*[+-]?\d+\s*", value):
        return _bytes(value)
    return _fraction(value)


capacity.__name__ = "number"  # the bounded types' name, which argparse's messages show


def add_parsers(verbs: Verbs) -> None:
    """Add ``memory`` under ``solve``, ``trace`` and ``bench``."""
    _add_solve(verbs["solve"])
    _add_trace(verbs["trace"])
    _add_bench(verbs["bench"])


def _add_solve(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ms = families.add_parser(
        "memory", help="allocate a program's buffers, or map them into fast memory",
        description="Answer one memory workload: a shipped program name (mlp-b32, "
        "decode-b1-c512...; see decisiongym.envs.memory.workloads), a program file (.json, "
        ".json.gz) or a MiniMalloc CSV (id,lower,upper,size). --mode allocation places every "
        "buffer at an offset under the capacity (MiniMalloc's problem; --objective peak "
        "minimises the peak instead); --mode mapping keeps each buffer in slow memory or gives "
        "it a fast-memory window on a chip, and reports the run time against all-slow memory. "
        "Every answer is re-checked by the family's validator. Prints one line, or one JSON "
        "object with --json; exits 0 for a valid answer or a proof that none exists, 1 "
        "otherwise.",
    )
    ms.add_argument("workload", help="shipped program name, program file or MiniMalloc CSV")
    ms.add_argument("--mode", required=True, choices=MODES,
                    help="allocation (offsets in one memory) or mapping (fast windows)")
    ms.add_argument("--method", required=True,
                    choices=tuple(dict.fromkeys(FAMILY.baseline_names + FAMILY.agents)),
                    help="allocation: greedy, exact, cpsat; mapping: xla-greedy, greedy "
                    "(decreasing size); planner, ppo and the CP-SAT mapping model come with "
                    "their modules")
    ms.add_argument("--capacity", type=capacity, default=None,
                    help="bytes (an integer, up to 2**62) or a fraction in (0, 1] of the "
                    "workload's peak live bytes (written with a point: 0.5, 1.0); default: a "
                    "CSV's own (from its name NAME.CAPACITY.csv), a program's peak live bytes "
                    "for allocation, 0.5 for mapping")
    ms.add_argument("--hardware", default=None, choices=HARDWARE,
                    help="mapping: the chip preset (default: tpu-like)")
    ms.add_argument("--objective", default=None, choices=OBJECTIVES,
                    help="allocation: feasibility (a packing under the capacity; default) or "
                    "peak (the least peak)")
    ms.add_argument("--order", default=None, choices=ORDERS,
                    help="allocation greedy: best fit by decreasing size (default) or area, or "
                    "first fit by start time")
    ms.add_argument("--time-limit", type=positive, default=None,
                    help=f"search time limit in seconds, in (0, {MAX_SECONDS:g}] (default: 10 "
                    "for cpsat, 60 for exact)")
    ms.add_argument("--workers", type=workers, default=2,
                    help=f"CP-SAT workers, 1..{MAX_WORKERS} (default: 2)")
    ms.add_argument("--seed", type=seed, default=0, help=f"CP-SAT's seed, 0..{MAX_SEED}")
    ms.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    ms.set_defaults(handler=solve)


def _add_trace(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mt = families.add_parser(
        "memory", help="trace your torch model into a memory program file",
        description="Import MODULE, call its FACTORY() and trace the (model, example_inputs) "
        "pair it returns with torch.export, decomposed to core ATen operators, into a program "
        "file that solve memory, the memory envs and load_workload read. This runs the code "
        "you name (that is what it is for): only name modules you trust. The module must be "
        "importable (run from its folder, or set PYTHONPATH). Example: decisiongym trace "
        "memory decisiongym.envs.memory.zoo:mlp --out mlp.json.gz",
    )
    mt.add_argument("factory", metavar="MODULE:FACTORY",
                    help="a function taking no argument that returns (model, example_inputs)")
    mt.add_argument("--out", type=output_file, required=True,
                    help="program file to write (.json, or .json.gz to compress)")
    mt.add_argument("--name", default=None,
                    help="the program's name (default: the factory's name)")
    mt.set_defaults(handler=trace)


def _add_bench(families: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mb = families.add_parser(
        "memory", help="allocation on MiniMalloc's and tight instances, mapping speed-ups, speed",
        description="Allocation: MiniMalloc's 11 challenging workloads (from --data) and 20 "
        "tight generated instances of 100-1,000 buffers (seeds 0-19, optimum = capacity): "
        "greedy peaks by size, area and start, the exact search at the capacity and at "
        "capacity - 1, CP-SAT's feasibility and least-peak models. Mapping: the shipped "
        "traced programs at fast capacities of 25/50/75 %% of their peak live bytes on the "
        "tpu-like and gpu-like chips, every mapping method's speed-up over all-slow memory. "
        "Speed: env steps/s, greedy ms on 1,000 buffers, exact-search nodes/s. Writes "
        "memory.md, memory_allocation.csv, memory_mapping.csv and memory_speed.csv.",
    )
    mb.add_argument("--data", type=input_folder, default=None,
                    help="the public memory data folder, holding minimalloc_challenging/ "
                    "(default: ../shared/data/memory when it exists; without it the "
                    "MiniMalloc table says the data was not given)")
    mb.add_argument("--quick", action="store_true",
                    help="two small tight instances, two workloads, short limits: a smoke run")
    mb.add_argument("--time-limit", type=positive, default=10.0,
                    help=f"CP-SAT's time limit per instance, in (0, {MAX_SECONDS:g}] "
                    "(default: 10)")
    mb.add_argument("--exact-time-limit", type=positive, default=60.0,
                    help=f"the exact search's time limit per question, in (0, {MAX_SECONDS:g}] "
                    "(default: 60)")
    mb.add_argument("--workers", type=workers, default=2,
                    help=f"CP-SAT workers, 1..{MAX_WORKERS} (default: 2)")
    mb.add_argument("--out-dir", type=output_folder, default="benchmarks/results",
                    help="folder of the results files (default: benchmarks/results)")
    mb.add_argument("--no-speed", action="store_true", help="skip the speed table")
    mb.set_defaults(handler=bench)


def solve(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``solve memory``: one workload, one method; exit 1 when the answer is not valid."""
    from decisiongym.bench.memory.methods import SolveOptions
    from decisiongym.bench.memory.solve import prepare_workload, solve_json, solve_prepared
    from decisiongym.envs.core.errors import InputError

    for flag, value, mode in (("--hardware", args.hardware, "mapping"),
                              ("--objective", args.objective, "allocation"),
                              ("--order", args.order, "allocation")):
        if value is not None and args.mode != mode:
            raise InputError(f"applies to --mode {mode} only", flag)
    if args.order is not None and args.method != "greedy":
        raise InputError("applies to --method greedy only", "--order")
    options = SolveOptions(objective=args.objective or "feasibility", order=args.order or "size",
                           time_limit=args.time_limit, workers=args.workers, seed=args.seed)
    try:
        prepared = prepare_workload(args.workload, args.mode, args.method,
                                    capacity=args.capacity, hardware=args.hardware)
    except InputError as exc:
        raise _named_as_flag(exc) from None

    def run(report: Callable[[float, float, float], None] | None = None) -> Record:
        return solve_prepared(prepared, args.method, options)

    searching = args.method in ("cpsat", "exact")
    record = (with_time_bar(f"{args.method} {args.workload}", options.limit(args.method), run)
              if searching else run())
    if args.json:
        print_json(solve_json(prepared.instance, record))
    else:
        print(_summary(record))
    return 0 if record.valid or record.status == "infeasible" else 1


FLAGS = {"capacity": "--capacity", "method": "--method", "mode": "--mode",
         "hardware": "--hardware", "time_limit": "--time-limit", "workers": "--workers"}
"""The library's argument names that a flag of ``solve memory`` sets, and the flag."""


def _named_as_flag(error: InputError) -> InputError:
    """The same error naming the flag the user typed rather than the function's argument."""
    from decisiongym.envs.core.errors import InputError

    if error.field not in FLAGS:
        return error
    message = str(error).removeprefix(f"{error.field}: ")
    return InputError(message, FLAGS[error.field])


def _summary(record: Record) -> str:
    extra = record.extra
    bound = f", bound {record.bound:,.0f}" if record.bound is not None else ""
    if extra["mode"] == "allocation":
        found = ("no packing" if record.objective is None else
                 f"peak {record.objective:,.0f} ({extra['ratio']:.3f}x the capacity)")
        order = f" ({extra['order']})" if "order" in extra else ""
        return (f"{record.instance}, allocation ({extra['question']}), {record.method}{order}: "
                f"{found}, capacity {extra['capacity']:,}, max live {extra['max_live']:,}"
                f"{bound}, {record.status}, valid={record.valid}, {record.wall_s:.3f} s")
    found = ("no mapping" if record.objective is None else
             f"time {record.objective:,.2f} us, {extra['speedup']:.3f}x all-slow "
             f"({extra['time_all_slow_us']:,.2f} us), {extra['in_fast']} buffers in fast memory")
    return (f"{record.instance} on {extra['hardware']} with {extra['capacity']:,} fast bytes, "
            f"mapping, {record.method}: {found}{bound}, {record.status}, valid={record.valid}, "
            f"{record.wall_s:.3f} s")


def trace(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``trace memory``: a user's model into a program file."""
    from decisiongym.bench.memory.tracing import trace_to_file

    program = trace_to_file(args.factory, args.out, args.name)
    print(f"{program.name}: {program.n_operations} operations, {program.n_buffers} buffers, "
          f"peak live {program.peak_live_bytes():,} bytes; written to {args.out}")
    return 0


def bench(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """``bench memory``: the allocation, mapping and speed tables."""
    from pathlib import Path

    from decisiongym.bench.memory.grid import run_benchmark

    path = run_benchmark(data=args.data, quick=args.quick, time_limit=args.time_limit,
                         exact_time_limit=args.exact_time_limit, workers=args.workers,
                         out_dir=args.out_dir, command=command_line(argv),
                         speed=not args.no_speed)
    print_report(path, Path(args.out_dir) / "memory_allocation.csv")
    return 0

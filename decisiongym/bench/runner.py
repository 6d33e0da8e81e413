"""Run a grid of benchmark cells of any family, locally or on a Ray cluster, with a progress
bar; every cell returns one :class:`~decisiongym.bench.record.Record`."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from decisiongym.bench.record import Record

Cell = TypeVar("Cell")
BACKENDS = ("local", "ray")


def progress_bar(transient: bool = False) -> Progress:
    """The progress bar every long-running command shows (on stderr)."""
    from rich.console import Console

    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
        console=Console(stderr=True),
        transient=transient,
    )


def run_grid(
    cells: Sequence[Cell],
    run_cell: Callable[[Cell], Record],
    describe: Callable[[Cell], str] = str,
    backend: str = "local",
    processes: int = 1,
    address: str | None = None,
    title: str = "benchmark",
    warm_up: Callable[[Cell], object] | None = None,
) -> list[Record]:
    """Run every cell and return their records in the order of ``cells``.

    Every backend behaves alike: the bar advances when a cell finishes and its status names the
    cell that finished last; a cell that returns anything but a :class:`Record` stops the run.

    :param cells: picklable descriptions of the work (instance name, method, budget...).
    :param run_cell: a top-level function turning one cell into one record (its answer
        validated and dropped).
    :param describe: a short text for the progress bar.
    :param backend: ``"local"`` (this machine) or ``"ray"`` (a Ray cluster; needs
        ``decisiongym[ray]``).
    :param processes: local worker processes; 1 (default) runs the cells one after the other in
        this process, which keeps wall times honest when a cell uses every core itself.
    :param address: Ray cluster address (``"auto"``, ``"ray://host:10001"``); a local Ray
        instance when omitted.
    :param title: the bar's title, the family's name.
    :param warm_up: called with each cell in the process that runs it, just before: a
        top-level function that pays the first call's cost of the cell's method on a tiny
        instance, once per process (:mod:`decisiongym.bench.warmup`), so that no cell's times
        carry numba's compilation, the first cell of each worker included.
    :raises TypeError: when ``run_cell`` returns something else than a :class:`Record`.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "ray":
        finished = _on_ray(cells, run_cell, warm_up, address)
    elif processes <= 1:
        finished = _in_this_process(cells, run_cell, warm_up)
    else:
        finished = _in_processes(cells, run_cell, warm_up, processes)
    records: list[Record | None] = [None] * len(cells)
    with progress_bar() as bar:
        task = bar.add_task(title, total=len(cells), status="")
        for i, record in finished:
            if not isinstance(record, Record):
                raise TypeError(f"the cell {describe(cells[i])!r} returned a "
                                f"{type(record).__name__}, not a Record")
            records[i] = record
            bar.update(task, advance=1, status=describe(cells[i]))
    return [r for r in records if r is not None]


Finished = Iterator[tuple[int, Any]]
"""``(index of the cell, what it returned)`` in the order the cells finish."""


def _warmed_run(run_cell: Callable[[Cell], Any], warm_up: Callable[[Cell], object] | None,
                cell: Cell) -> Any:
    if warm_up is not None:
        warm_up(cell)
    return run_cell(cell)


def _in_this_process(cells: Sequence[Cell], run_cell: Callable[[Cell], Any],
                     warm_up: Callable[[Cell], object] | None) -> Finished:
    for i, cell in enumerate(cells):
        yield i, _warmed_run(run_cell, warm_up, cell)


def _in_processes(cells: Sequence[Cell], run_cell: Callable[[Cell], Any],
                  warm_up: Callable[[Cell], object] | None, processes: int) -> Finished:
    # "spawn": a forked child inherits torch's and numba's thread pools mid-state and can hang
    # in them; a fresh interpreter cannot.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
        futures = {pool.submit(_warmed_run, run_cell, warm_up, cell): i
                   for i, cell in enumerate(cells)}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _on_ray(cells: Sequence[Cell], run_cell: Callable[[Cell], Any],
            warm_up: Callable[[Cell], object] | None, address: str | None) -> Finished:
    try:
        import ray
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            'the ray backend needs Ray: pip install "decisiongym[ray]"'
        ) from exc
    ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
    remote = ray.remote(_warmed_run)
    pending = {remote.remote(run_cell, warm_up, cell): i for i, cell in enumerate(cells)}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        i = pending.pop(done[0])
        yield i, ray.get(done[0])

"""Run a grid of benchmark cells, locally or on a Ray cluster, with a progress bar."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, TypeVar

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

Cell = TypeVar("Cell")
Record = dict[str, Any]
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
) -> list[Record]:
    """Run every cell and return their records in the order of ``cells``.

    :param cells: picklable descriptions of the work (instance name, method, budget...).
    :param run_cell: a top-level function turning one cell into one flat record.
    :param describe: a short text for the progress bar.
    :param backend: ``"local"`` (this machine) or ``"ray"`` (a Ray cluster; needs
        ``decisiongym[ray]``).
    :param processes: local worker processes; 1 (default) runs the cells one after the other in
        this process, which keeps wall times honest when a cell uses every core itself.
    :param address: Ray cluster address (``"auto"``, ``"ray://host:10001"``); a local Ray
        instance when omitted.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    records: list[Record | None] = [None] * len(cells)
    with progress_bar() as bar:
        task = bar.add_task(title, total=len(cells), status="")
        if backend == "ray":
            try:
                import ray
            except ModuleNotFoundError as exc:
                raise ModuleNotFoundError(
                    'the ray backend needs Ray: pip install "decisiongym[ray]"'
                ) from exc
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)
            remote = ray.remote(run_cell)
            pending = {remote.remote(cell): i for i, cell in enumerate(cells)}
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                i = pending.pop(done[0])
                records[i] = ray.get(done[0])
                bar.update(task, advance=1, status=describe(cells[i]))
        elif processes <= 1:
            for i, cell in enumerate(cells):
                bar.update(task, status=describe(cell))
                records[i] = run_cell(cell)
                bar.update(task, advance=1)
        else:
            # "spawn": a forked child inherits torch's and numba's thread pools mid-state and
            # can hang in them; a fresh interpreter cannot.
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
                futures = {pool.submit(run_cell, cell): i for i, cell in enumerate(cells)}
                for future in as_completed(futures):
                    i = futures[future]
                    records[i] = future.result()
                    bar.update(task, advance=1, status=describe(cells[i]))
    return [r for r in records if r is not None]

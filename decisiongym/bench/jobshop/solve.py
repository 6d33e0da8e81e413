"""One job-shop instance solved by one named method, as ``decisiongym solve jobshop`` asks.

:func:`~decisiongym.bench.jobshop.grid.solve_jobshop` runs a method under a given scheme; this
adds the choice of scheme a user leaves open: the default scheme for the rules, the network's
own for the learned rule, whose scheme is fixed by its training and cannot be asked for.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace

from decisiongym.bench.jobshop.grid import solve_jobshop
from decisiongym.bench.jobshop.warmup import warm_method
from decisiongym.bench.record import Record
from decisiongym.envs.core.errors import InputError
from decisiongym.envs.jobshop.bounds import contradictions
from decisiongym.envs.jobshop.ids import DEFAULT_SCHEME
from decisiongym.envs.jobshop.instance import JobShopInstance


def solve_instance(
    instance: JobShopInstance,
    method: str,
    scheme: str | None = None,
    *,
    time_limit: float = 10.0,
    workers: int = 2,
    seed: int = 0,
    samples: int | None = None,
    checkpoint: str | os.PathLike[str] | None = None,
    on_solution: Callable[[float, float, float], None] | None = None,
) -> Record:
    """Solve ``instance`` with ``method`` and validate the answer.

    The method runs once on a tiny instance first, so the record's times are the solve's
    alone; what that first run cost (numba compiling, CP-SAT starting) is ``extra["compile_s"]``.

    :param instance: the problem.
    :param method: a dispatching rule, ``cpsat`` or ``learned``
        (:data:`decisiongym.envs.jobshop.ids.METHODS`).
    :param scheme: the rules' schedule-generation scheme; ``None`` for
        :data:`~decisiongym.envs.jobshop.ids.DEFAULT_SCHEME`, or for the learned rule the one
        its network was trained under (CP-SAT has none).
    :param time_limit: CP-SAT's time limit in seconds.
    :param workers: CP-SAT's search workers (the learned rule runs on one core).
    :param seed: seed of the ``random`` rule, of CP-SAT and of the learned rule's sampling.
    :param samples: the learned rule's rollouts, the best one kept; ``None`` for 1 (greedy).
    :param checkpoint: the learned rule's network file; ``None`` for the shipped one.
    :param on_solution: CP-SAT calls it with ``(wall_s, objective, bound)`` at each solution.
    :raises InputError: when ``scheme`` is given for the learned rule and is not its network's
        (the message names the command line's ``--scheme``, the way users meet it).
    :raises FileNotFoundError: for a learned rule without a network file.
    """
    compile_s = {"compile_s": warm_method(method, samples=samples or 1, checkpoint=checkpoint)}
    if method != "learned":
        record = solve_jobshop(instance, method, scheme or DEFAULT_SCHEME, time_limit=time_limit,
                               workers=workers, seed=seed, on_solution=on_solution)
        return replace(record, extra={**record.extra, **compile_s})
    record = solve_jobshop(instance, method, workers=workers, seed=seed,
                           samples=samples or 1, checkpoint=checkpoint)
    if scheme is not None and scheme != record.extra["scheme"]:
        raise InputError(f"the network dispatches under the {record.extra['scheme']} scheme; "
                         f"--scheme {scheme} does not apply to it", "--scheme")
    return replace(record, extra={**record.extra, **compile_s})


def bound_warnings(instance: JobShopInstance, record: Record) -> list[str]:
    """What the instance's own bounds contradict, one sentence each: an upper bound below what
    the instance or the solver proved, a lower bound above a valid schedule the solve found.

    :param instance: the instance solved, with the bounds its file gave.
    :param record: :func:`solve_instance`'s record.
    """
    makespan = int(record.objective) if record.valid and record.objective is not None else None
    proven = int(record.bound) if record.bound is not None else None
    return [f"{instance.name}: {message}" for message in contradictions(
        instance, instance.lower_bound, instance.upper_bound, makespan, proven)]

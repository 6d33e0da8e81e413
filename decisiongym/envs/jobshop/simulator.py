"""The Python face of the dispatching kernels: one instance's state arrays and the calls on them."""

from __future__ import annotations

import numpy as np

from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.encoding import SchedulingModel, encode
from decisiongym.envs.jobshop.instance import JobShopInstance
from decisiongym.envs.jobshop.solution import Schedule


def scheme_code(scheme: str) -> int:
    """The kernel code of a schedule-generation scheme name."""
    try:
        return sim.SCHEMES[scheme]
    except KeyError:
        raise ValueError(
            f"unknown scheme {scheme!r}; choose one of {', '.join(sim.SCHEMES)}"
        ) from None


def rule_code(rule: str) -> int:
    """The kernel code of a dispatching-rule name."""
    try:
        return sim.RULES[rule]
    except KeyError:
        raise ValueError(f"unknown rule {rule!r}; choose one of {', '.join(sim.RULES)}") from None


class Simulator:
    """Dispatching state of one instance, padded to a fixed size when asked.

    :param instance: the problem.
    :param scheme: schedule-generation scheme, ``"non-delay"``, ``"active"`` or ``"insertion"``.
    :param shape: ``(jobs, ops, machines)`` to pad the arrays to (observation spaces need a fixed
        size when instances vary); the instance's own size by default.
    :param model: the instance's scheduling model, built with :func:`encode` when omitted.
    """

    def __init__(
        self,
        instance: JobShopInstance,
        scheme: str = "insertion",
        shape: tuple[int, int, int] | None = None,
        model: SchedulingModel | None = None,
    ) -> None:
        self.instance = instance
        self.scheme = scheme
        self.scheme_code = scheme_code(scheme)
        self.model = model if model is not None else encode(instance)
        n_jobs, n_ops, n_machines = shape or (instance.n_jobs, instance.n_ops, instance.n_machines)
        if n_jobs < instance.n_jobs or n_ops < instance.n_ops or n_machines < instance.n_machines:
            raise ValueError(
                f"instance {instance.name!r} ({instance.n_jobs}x{instance.n_machines}, "
                f"{instance.n_ops} ops per job) does not fit the padded size "
                f"{n_jobs} jobs x {n_ops} ops x {n_machines} machines"
            )
        slots = n_jobs * n_ops
        (self.static, self.job_state, self.op_start, self.mach_state, self.mach_slots,
         self.counters) = sim.allocate(n_jobs, n_ops, n_machines, slots)
        load(self.model, self.static, self.job_state)
        self.mask = np.zeros(n_jobs, dtype=np.int8)
        self.reset()

    def reset(self) -> None:
        sim.reset_state(self.static, self.job_state, self.op_start, self.mach_state,
                        self.mach_slots, self.counters)

    def legal(self) -> np.ndarray:
        """0/1 mask of the jobs that may be dispatched now under the scheme."""
        sim.legal_mask(self.scheme_code, self.static, self.job_state, self.mach_state, self.mask)
        return self.mask

    def dispatch(self, job: int) -> int:
        """Schedule ``job``'s next operation (legality is the caller's); return its start."""
        return int(sim.dispatch(self.scheme_code, job, self.static, self.job_state, self.op_start,
                                self.mach_state, self.mach_slots, self.counters))

    def run_rule(self, rule: str, seed: int = 0) -> int:
        """Finish the schedule with a dispatching rule; return the makespan."""
        return int(sim.run_rule(rule_code(rule), self.scheme_code, seed, self.static,
                                self.job_state, self.op_start, self.mach_state, self.mach_slots,
                                self.counters))

    @property
    def done(self) -> bool:
        return int(self.counters[sim.SCHEDULED]) == self.instance.n_operations

    @property
    def makespan(self) -> int:
        return int(self.counters[sim.MAKESPAN])

    @property
    def lower_bound(self) -> int:
        return int(self.counters[sim.LOWER_BOUND])

    def schedule(self) -> Schedule:
        """The (partial) schedule built so far."""
        inst = self.instance
        return Schedule(inst, self.op_start[: inst.n_jobs, : inst.n_ops])


def load(model: SchedulingModel, static: np.ndarray, job_state: np.ndarray) -> None:
    """Write a model's operation tables into (possibly padded) zeroed state arrays."""
    machine, duration, release = model.single_mode_tables()
    n_jobs, n_ops = machine.shape
    static[:] = 0
    static[sim.MACHINE, :n_jobs, :n_ops] = machine
    static[sim.DURATION, :n_jobs, :n_ops] = duration
    static[sim.RELEASE, :n_jobs, :n_ops] = release
    job_state[:] = 0
    job_state[sim.N_OPS, :n_jobs] = (model.job_intervals >= 0).sum(axis=1)

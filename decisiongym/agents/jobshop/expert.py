"""Turning a target schedule (CP-SAT's) into dispatching decisions to imitate.

Under a schedule-generation scheme the env may not reach the target schedule exactly (a
non-delay dispatcher cannot leave a machine idle on purpose), so the expert follows the target
as closely as the scheme lets it. At each real decision (:mod:`.decisions`: the legal jobs on
contested machines under non-delay, every legal job otherwise) the right answers are the jobs
whose next operation starts first in the target *on its machine*; the expert dispatches the
earliest of them (the lower job index on ties), and uncontested jobs go without a decision.
Replaying the expert gives the decisions to imitate and the makespan they really reach, which
is what the training keeps or discards.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decisiongym.agents.jobshop.decisions import (
    classify,
    contested,
    free_choice,
    next_machines,
)
from decisiongym.envs.jobshop import sim
from decisiongym.envs.jobshop.env import JobShopEnv
from decisiongym.envs.jobshop.instance import JobShopInstance

OBS_KEYS = ("operations", "op_machine", "jobs", "machines", "action_mask")
_READY = sim.OP_FEATURES.index("ready")


@dataclass(frozen=True)
class Demonstration:
    """One instance, a target schedule and the expert's decisions following it.

    :param instance: the problem.
    :param target: ``(n_jobs, n_ops)`` start times of the target schedule.
    :param actions: the job dispatched at each step, ``n_operations`` of them.
    :param makespan: the makespan those decisions reach under the scheme.
    """

    instance: JobShopInstance
    target: np.ndarray
    actions: np.ndarray
    makespan: int


def right_answers(obs: dict[str, np.ndarray], target: np.ndarray, scheme: str) -> np.ndarray:
    """``(J,)`` boolean: the decision jobs that start first on their machine in ``target``."""
    decision = contested(obs, scheme)
    n_jobs, n_ops = target.shape
    nxt = np.minimum(obs["operations"][:n_jobs, :, _READY].argmax(1), n_ops - 1)
    start = np.full(decision.shape, np.iinfo(np.int64).max, dtype=np.int64)
    start[:n_jobs] = target[np.arange(n_jobs), nxt]
    start[~decision] = np.iinfo(np.int64).max
    if scheme != "non-delay":
        return decision & (start == start.min())
    machine = next_machines(obs)
    first = np.full(obs["machines"].shape[0], np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, machine[decision], start[decision])
    return decision & (start == first[machine])


def follow_schedule(instance: JobShopInstance, target_start: np.ndarray,
                    scheme: str) -> Demonstration:
    """The expert's decisions for ``target_start`` (``(n_jobs, n_ops)`` start times)."""
    target = np.asarray(target_start, dtype=np.int64)
    if target.shape != (instance.n_jobs, instance.n_ops) or (target < 0).any():
        raise ValueError(f"target_start must be a complete ({instance.n_jobs}, "
                         f"{instance.n_ops}) start table, got shape {target.shape}")
    env = JobShopEnv(instance, scheme=scheme, reward="sparse", invalid_action="raise")
    obs, _ = env.reset()
    n_jobs, n_ops = target.shape
    actions = np.empty(instance.n_operations, dtype=np.int64)
    info: dict = {}
    for step in range(instance.n_operations):
        free, needs_decision = free_choice(obs, scheme)
        actions[step] = int(free)
        if needs_decision:
            answers = right_answers(obs, target, scheme)
            nxt = np.minimum(obs["operations"][:, :, _READY].argmax(1), n_ops - 1)
            start = np.where(answers, target[np.arange(n_jobs), nxt], np.iinfo(np.int64).max)
            actions[step] = int(np.argmin(start))
        obs, _, _, _, info = env.step(actions[step])
    return Demonstration(instance, target, actions, int(info["makespan"]))


def demonstration_batch(
    demonstrations: list[Demonstration], scheme: str, shape: tuple[int, int],
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """``(observations, decision jobs, right answers)`` of every real decision of the
    demonstrations, replayed in an env padded to ``shape`` = ``(max_jobs, max_machines)``."""
    columns: dict[str, list[np.ndarray]] = {key: [] for key in OBS_KEYS}
    choices: list[np.ndarray] = []
    answers: list[np.ndarray] = []
    for demo in demonstrations:
        env = JobShopEnv(demo.instance, scheme=scheme, reward="sparse", max_jobs=shape[0],
                         max_machines=shape[1], invalid_action="raise")
        obs, _ = env.reset()
        for action in demo.actions:
            _, needs_decision, decision = classify(obs, scheme)
            if needs_decision:
                for key in OBS_KEYS:
                    columns[key].append(obs[key])
                choices.append(decision)
                answers.append(right_answers(obs, demo.target, scheme))
            obs, *_ = env.step(int(action))
    batch = {key: np.stack(values) if values else np.empty(0) for key, values in columns.items()}
    empty = np.empty((0, shape[0]), dtype=bool)
    return (batch, np.stack(choices) if choices else empty,
            np.stack(answers) if answers else empty)

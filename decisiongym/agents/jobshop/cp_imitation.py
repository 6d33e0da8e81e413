"""CP-guided self-improvement of a dispatching network (the idea of Tassel, Gebser &
Schekotihin, ICAPS 2023, with OR-Tools CP-SAT as the solver).

Each iteration:

1. draw a random Taillard-style instance (sizes from ``min_size`` to ``max_size``) and
   dispatch it with the current network (greedy, or sampled with probability
   ``sample_prob``): schedule ``S``, makespan ``C``;
2. keep the first ``k`` operations of ``S`` (those that start first, which are the first
   dispatched under the non-delay scheme), ``k`` a random fraction of the instance drawn from
   ``[0, max_prefix]``, and let CP-SAT complete the rest under a short deterministic time
   limit, with ``S`` as hint and ``C`` as upper bound;
3. turn CP-SAT's completion into dispatching decisions (:func:`follow_schedule`) and replay
   them: when they reach a makespan below ``C`` the demonstration joins the buffer (what
   CP-SAT proved better is kept, nothing else is);
4. take ``updates`` gradient steps on demonstrations drawn from the buffer, half from the
   newest ``recent`` and half from all: at each real decision (:mod:`.decisions`) the loss is
   minus the log-probability of the right answers (:mod:`.expert`).

At the start the network is random, the prefix teaches little and CP-SAT's completions are
near-optimal schedules of small instances: the first phase is plain imitation of CP-SAT. As
the network improves, CP-SAT gets a shorter time to beat it and the demonstrations come from
the states the network itself reaches.

Every ``eval_every`` iterations the greedy network is scored on fixed validation instances
(makespan over the best of three static rules, SPT, MWKR and FDD-MWKR, under the same
scheme); the best-scoring weights are the ones returned and written.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from decisiongym.agents.jobshop.expert import Demonstration, demonstration_batch, follow_schedule
from decisiongym.agents.jobshop.inference import rollout
from decisiongym.agents.jobshop.network import DispatchNetwork, NetworkConfig, to_tensors
from decisiongym.agents.jobshop.training import (
    TrainingLog,
    check_outputs,
    instance_generator,
    summary_writer,
    training_metadata,
)
from decisiongym.agents.jobshop.validation import ValidationSet
from decisiongym.agents.threads import single_torch_thread
from decisiongym.envs.jobshop.solution import Schedule


@dataclass
class CPImitationConfig:
    """Every hyper-parameter of :func:`train_cp_imitation`; the defaults made the shipped
    checkpoint.

    :param seed: seeds torch, the instances, the prefixes and CP-SAT.
    :param iterations: improvement iterations.
    :param scheme: schedule-generation scheme of the rule learned.
    :param min_size: smallest ``(jobs, machines)`` drawn.
    :param max_size: largest ``(jobs, machines)`` drawn (and the padded training shape).
    :param cp_time: CP-SAT's deterministic time limit per completion.
    :param cp_wall_time: its wall-clock limit (a safety net; normally not reached).
    :param max_prefix: largest fraction of operations kept fixed.
    :param sample_prob: probability that the rollout is sampled (temperature 1), not greedy.
    :param updates: gradient steps per iteration.
    :param batch_demos: demonstrations per gradient step.
    :param recent: size of the "newest" part of the buffer.
    :param lr: Adam's learning rate.
    :param eval_every: iterations between validation scores (and checkpoints).
    :param eval_instances: validation instances (drawn with ``seed + 1``).
    :param network: network sizes.
    :param resume: a checkpoint to start from instead of random weights.
    :param checkpoint_dir: where to write a checkpoint at every validation.
    :param log_dir: TensorBoard log folder.
    :param out: where to write the best weights at the end.
    """

    seed: int = 0
    iterations: int = 2000
    scheme: str = "non-delay"
    min_size: tuple[int, int] = (6, 6)
    max_size: tuple[int, int] = (20, 15)
    cp_time: float = 1.0
    cp_wall_time: float = 5.0
    max_prefix: float = 0.8
    sample_prob: float = 0.5
    updates: int = 3
    batch_demos: int = 8
    recent: int = 200
    lr: float = 1e-3
    eval_every: int = 150
    eval_instances: int = 16
    network: NetworkConfig = field(default_factory=NetworkConfig)
    resume: str | None = None
    checkpoint_dir: str | None = None
    log_dir: str | None = None
    out: str | None = None


def supervised_step(network: DispatchNetwork, optimizer: torch.optim.Optimizer,
                    demonstrations: list[Demonstration], scheme: str,
                    shape: tuple[int, int]) -> float | None:
    """One gradient step on the demonstrations' decisions; the loss before the step.

    The loss is minus the log of the probability the network gives to the set of right
    answers, among the decision jobs (any right answer is as good as another)."""
    batch, choices, answers = demonstration_batch(demonstrations, scheme, shape)
    if choices.shape[0] == 0:
        return None
    network.train()
    logits, _ = network(to_tensors(batch))
    logits = logits.masked_fill(~torch.from_numpy(choices), float("-inf"))
    right = logits.masked_fill(~torch.from_numpy(answers), float("-inf"))
    loss = (torch.logsumexp(logits, -1) - torch.logsumexp(right, -1)).mean()
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(network.parameters(), 1.0)
    optimizer.step()
    network.eval()
    return float(loss.detach())


def train_cp_imitation(
    config: CPImitationConfig | None = None,
    on_iteration: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[DispatchNetwork, TrainingLog]:
    """Train (module docstring); return the best network on the validation set and the log.

    :param config: hyper-parameters; the default reproduces the shipped checkpoint.
    :param on_iteration: called after each iteration with its index and statistics (the
        command line's progress bar).
    """
    config = config or CPImitationConfig()
    check_outputs(config.out, config.checkpoint_dir)
    # one thread also leaves a core to CP-SAT's search and the simulator
    with single_torch_thread():
        return _train(config, on_iteration)


def _train(
    config: CPImitationConfig, on_iteration: Callable[[int, dict[str, float]], None] | None,
) -> tuple[DispatchNetwork, TrainingLog]:
    from decisiongym.baselines.jobshop.cpsat import solve_cpsat

    t0 = time.perf_counter()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    generator = instance_generator(config.min_size, config.max_size)
    shape = config.max_size
    validation = ValidationSet.draw(generator, config.eval_instances, config.seed + 1,
                                    config.scheme)
    if config.resume is not None:
        network = DispatchNetwork.load(config.resume)
        if network.config.scheme != config.scheme:
            raise ValueError(f"--resume checkpoint was trained for the {network.config.scheme} "
                             f"scheme, not {config.scheme}")
    else:
        network = DispatchNetwork(NetworkConfig(**{**asdict(config.network),
                                                   "scheme": config.scheme}))
    optimizer = torch.optim.Adam(network.parameters(), lr=config.lr)
    writer = summary_writer(config.log_dir)
    log = TrainingLog()
    buffer: list[Demonstration] = []
    best_score = validation.score(network)
    best_state = copy.deepcopy(network.state_dict())
    log.scores.append((0, best_score))

    for it in range(1, config.iterations + 1):
        instance = generator(rng)
        result = rollout(network, instance, seed=int(rng.integers(2**31)),
                         temperature_range=(1.0, 1.0),
                         greedy=bool(rng.random() >= config.sample_prob))
        start, makespan = np.asarray(result.schedule.start), result.makespan
        order = np.lexsort((np.arange(start.size), start.ravel()))
        keep = int(rng.integers(0, int(config.max_prefix * start.size) + 1))
        fixed = np.full(start.size, -1, dtype=np.int64)
        fixed[order[:keep]] = start.ravel()[order[:keep]]
        cp = solve_cpsat(instance, time_limit=config.cp_wall_time, workers=1,
                         seed=int(rng.integers(2**31)), warm_start=Schedule(instance, start),
                         fixed_starts=fixed.reshape(start.shape),
                         deterministic_limit=config.cp_time)
        log.cp_seconds += cp.wall_s
        improved = 0.0
        if (cp.schedule is not None and cp.makespan is not None and not cp.from_warm_start
                and cp.makespan < makespan):
            demo = follow_schedule(instance, cp.schedule.start, config.scheme)
            if demo.makespan < makespan:
                buffer.append(demo)
                log.improvements += 1
                improved = (makespan - demo.makespan) / makespan
        stats: dict[str, float] = {"improvement": improved, "buffer": float(len(buffer))}
        if buffer:
            for _ in range(config.updates):
                demos = _draw(buffer, config.batch_demos, config.recent, rng)
                loss = supervised_step(network, optimizer, demos, config.scheme, shape)
                if loss is not None:
                    log.losses.append(loss)
                    stats["loss"] = loss
        if writer is not None:
            for name, value in stats.items():
                writer.add_scalar(f"cp_imitation/{name}", value, it)
        if it % config.eval_every == 0 or it == config.iterations:
            score = validation.score(network)
            log.scores.append((it, score))
            stats["score"] = score
            if writer is not None:
                writer.add_scalar("eval/makespan_over_best_rule", score, it)
            if config.checkpoint_dir is not None:
                network.save(Path(config.checkpoint_dir) / f"iteration_{it:05d}.pt",
                             {"iteration": it, "score": score})
            if score < best_score:
                best_score, best_state = score, copy.deepcopy(network.state_dict())
        if on_iteration is not None:
            on_iteration(it, stats)

    network.load_state_dict(best_state)
    network.eval()
    log.wall_s = time.perf_counter() - t0
    if writer is not None:
        writer.close()
    if config.out is not None:
        network.save(config.out, training_metadata("cp-imitation", config, log, best_score))
    return network, log


def _draw(buffer: list[Demonstration], count: int, recent: int,
          rng: np.random.Generator) -> list[Demonstration]:
    newest = buffer[-recent:]
    half = count // 2
    picks = [newest[i] for i in rng.integers(0, len(newest), size=count - half)]
    picks += [buffer[i] for i in rng.integers(0, len(buffer), size=half)]
    return picks

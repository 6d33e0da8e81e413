"""The SoC scheduling problem as a PettingZoo game: every processing element is an agent that
picks its next task from the ready queue."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from gymnasium import spaces
from pettingzoo import AECEnv, ParallelEnv
from pettingzoo.utils.conversions import parallel_to_aec

from decisiongym.envs.core.errors import InvalidActionError
from decisiongym.envs.soc.env import PE_FEATURES, SoCSchedulingEnv
from decisiongym.envs.soc.workload import Workload


class SoCParallelEnv(ParallelEnv[str, dict[str, np.ndarray], int]):
    """Online SoC scheduling with one agent per PE, all acting at once.

    ## Description
    The stream, platform and simulator of :class:`~decisiongym.envs.soc.env.SoCSchedulingEnv`
    (same arguments, ``mode`` aside), seen from the PEs. The agents are the PEs, named as
    :meth:`Platform.pe_names` names them (``"A7.0"``, ..., ``"A15.0"``...). At each step every
    live agent picks a ready-task slot or idles; the picks are applied together at the current
    time.

    ## Action Space
    ``Discrete(max_ready + 1)`` per agent: slot ``0 .. max_ready - 1`` takes the task in that
    slot, ``max_ready`` idles. A pick is *legal* when the slot holds a task, the agent's PE is
    idle and its type can run the task (the ``"task-pe"`` rule); an illegal pick is an idle
    (the agent's ``action_mask`` marks the legal picks, and idling is always legal). A live
    agent left out of ``actions`` idles. An integer outside the space, or an action for a name
    that is not a live agent, raises ``InvalidActionError``.

    Conflicts: when several PEs legally pick the same task, the one of earliest estimated finish
    ``EF(t, q) = max(now, est_free(q), data_ready(t, q)) + cost(t, q)`` wins, the lower PE
    index on ties; the others idle this step. Winners are committed in slot order.

    Time: when at least one task was committed and a legal pick is still open, the next step
    is another round at the same time. Otherwise time runs on to the next decision point: the
    next event when the agents chose to idle although work was open (waiting for a running
    task to finish or a job to arrive), the next time some ready task fits an idle PE when no
    legal pick is left. If agents idle while nothing is running and no job is still to come,
    nothing happens; after ``max_idle_rounds`` such rounds in a row the episode is truncated.

    ## Observation Space
    Per agent, a ``Dict``: every array of the single-agent observation except its
    ``action_mask`` (``tasks``, ``estimated_finish``, ``pes``, ``jobs``, ``job_tasks``,
    ``job_adjacency``, ``ready_ref``; see ``SoCSchedulingEnv``), plus ``agent_pe``
    ``(n_pes,)`` the one-hot of the agent's PE, ``agent_state`` ``(3 + T,)`` its row of ``pes``,
    and ``action_mask`` ``(max_ready + 1,)`` int8 of its legal picks.

    ## Rewards
    A shared team reward, the same for every agent: minus the job latency accrued during the
    step, in ms (``-(jobs in system) x (elapsed time)``); a round at the same time pays 0. The
    episode return is ``-sum(latencies) / 1000``.

    ## Episode End
    Every agent terminates when all jobs have finished; the ``info`` of each then holds the
    ``result`` and ``trace`` as in ``SoCSchedulingEnv``. Truncation after ``max_cycles`` steps
    when set (PettingZoo's convention), or after ``max_idle_rounds`` idle rounds (above).

    ## Arguments
    Those of ``SoCSchedulingEnv`` except ``mode`` and ``invalid_action``, plus
    ``max_cycles`` (None: no limit) and ``max_idle_rounds`` (default 100).

    ## Example
    >>> from decisiongym.envs.soc.parallel import parallel_env
    >>> env = parallel_env(mix="sc_tx", n_jobs=2)
    >>> obs, infos = env.reset(seed=0)
    >>> env.agents[:2]
    ['A7.0', 'A7.1']

    ## Version History
    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi"], "name": "soc_scheduling_v0",
                "is_parallelizable": True}

    def __init__(self, max_cycles: int | None = None, max_idle_rounds: int = 100,
                 render_mode: str | None = None, **kwargs: Any) -> None:
        for banned in ("mode", "invalid_action"):
            if banned in kwargs:
                raise TypeError(f"the parallel SoC env takes no {banned!r} argument")
        if max_idle_rounds < 1:
            raise ValueError(f"max_idle_rounds must be >= 1, got {max_idle_rounds}")
        self.core = SoCSchedulingEnv(mode="task-pe", invalid_action="raise",
                                     render_mode=render_mode, **kwargs)
        self.render_mode = render_mode
        self.max_cycles = max_cycles
        self.max_idle_rounds = int(max_idle_rounds)
        self.possible_agents = list(self.core.pe_names)
        self.agents: list[str] = []
        self.agent_index = {name: q for q, name in enumerate(self.possible_agents)}
        self.max_ready = self.core.max_ready
        self.idle_action = self.max_ready
        n_pes = self.core.n_pes
        shared = {key: space for key, space in self.core.dict_space.spaces.items()
                  if key != "action_mask"}
        pe_width = len(PE_FEATURES) + self.core.platform.n_types
        self._observation_spaces = {
            name: spaces.Dict({
                **shared,
                "agent_pe": spaces.Box(0.0, 1.0, (n_pes,), np.float32),
                "agent_state": spaces.Box(0.0, np.float32(np.inf), (pe_width,), np.float32),
                "action_mask": spaces.Box(0, 1, (self.max_ready + 1,), np.int8),
            })
            for name in self.possible_agents
        }
        self._action_spaces = {name: spaces.Discrete(self.max_ready + 1)
                               for name in self.possible_agents}
        self._cycles = 0
        self._idle_rounds = 0

    # -- PettingZoo API ------------------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Space[Any]:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Space[Any]:
        return self._action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        workload = (options or {}).get("workload")
        core_options = {"workload": workload} if isinstance(workload, Workload) else None
        _, info = self.core.reset(seed=seed, options=core_options)
        self.agents = list(self.possible_agents)
        self._cycles = 0
        self._idle_rounds = 0
        return self._observations(), {name: dict(info) for name in self.agents}

    def step(
        self, actions: dict[str, Any]
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, float], dict[str, bool],
               dict[str, bool], dict[str, dict[str, Any]]]:
        if not self.agents:
            raise RuntimeError("every agent is done; call reset()")
        core = self.core
        picks = self._legal_picks(actions)
        winners = resolve_conflicts(picks, core.estimated_finish_us())
        before = core.latency_accrued_ms
        if winners:
            core.commit(sorted((slot, pe) for slot, pe in winners.items()))
        open_picks = bool(core.legal_pairs().any())
        idle_round = False
        if not (winners and open_picks):
            if open_picks and core.nothing_to_wait_for():
                idle_round = True
            else:
                core.wait()
        self._idle_rounds = self._idle_rounds + 1 if idle_round else 0
        self._cycles += 1
        reward = before - core.latency_accrued_ms
        done = core.simulator.done
        truncate = not done and (self._idle_rounds >= self.max_idle_rounds or (
            self.max_cycles is not None and self._cycles >= self.max_cycles))
        info = core.episode_info()
        observations = self._observations()
        agents = list(self.agents)
        if done or truncate:
            self.agents = []
        return (
            observations,
            {name: reward for name in agents},
            {name: done for name in agents},
            {name: truncate for name in agents},
            {name: dict(info) for name in agents},
        )

    def render(self) -> str | None:
        return self.core.render()

    def close(self) -> None:
        self.core.close()

    def state(self) -> np.ndarray:
        """The shared observation's arrays flattened into one vector (for centralised
        critics)."""
        obs = self.core.observation()
        return np.concatenate([obs[key].astype(np.float32).reshape(-1)
                               for key in sorted(obs) if key != "action_mask"])

    # -- internals ---------------------------------------------------------------------------
    def _legal_picks(self, actions: dict[str, Any]) -> dict[int, list[int]]:
        """Slot -> the PEs that legally picked it (illegal picks count as idling)."""
        unknown = sorted(set(actions) - set(self.agents))
        if unknown:
            raise InvalidActionError(
                actions[unknown[0]], f"{', '.join(map(repr, unknown))} is not a live agent; "
                f"the agents are {', '.join(self.agents)}")
        legal = self.core.legal_pairs()
        picks: dict[int, list[int]] = {}
        for name in self.agents:
            if name not in actions:
                continue
            try:
                slot = operator.index(actions[name])
            except TypeError:
                raise InvalidActionError(actions[name], f"agent {name} must act with an "
                                         "integer slot") from None
            if not 0 <= slot <= self.max_ready:
                raise InvalidActionError(
                    slot, f"agent {name} picks a slot in [0, {self.max_ready - 1}] or idles "
                    f"with {self.max_ready}")
            q = self.agent_index[name]
            if slot < self.max_ready and legal[slot, q]:
                picks.setdefault(slot, []).append(q)
        return picks

    def _observations(self) -> dict[str, dict[str, np.ndarray]]:
        shared = self.core.observation()
        del shared["action_mask"]
        legal = self.core.legal_pairs()
        n_pes = self.core.n_pes
        result = {}
        for name in self.agents:
            q = self.agent_index[name]
            mask = np.ones(self.max_ready + 1, np.int8)
            mask[: self.max_ready] = legal[:, q]
            own = np.zeros(n_pes, np.float32)
            own[q] = 1.0
            result[name] = {**shared, "agent_pe": own, "agent_state": shared["pes"][q].copy(),
                            "action_mask": mask}
        return result


def resolve_conflicts(picks: dict[int, list[int]], finish: np.ndarray) -> dict[int, int]:
    """The winning PE of each picked slot: earliest estimated finish, lower index on ties.

    :param picks: slot -> PEs that picked it.
    :param finish: ``(max_ready, n_pes)`` estimated finish of each slot's task on each PE.
    :returns: slot -> winning PE.
    """
    winners = {}
    for slot, pes in picks.items():
        best = min(pes, key=lambda q: (finish[slot, q], q))
        winners[slot] = best
    return winners


def parallel_env(**kwargs: Any) -> SoCParallelEnv:
    """The SoC scheduling game as a PettingZoo ``ParallelEnv`` (arguments: those of
    :class:`SoCParallelEnv`)."""
    return SoCParallelEnv(**kwargs)


def env(**kwargs: Any) -> AECEnv[str, dict[str, np.ndarray], int]:
    """The same game as an ``AECEnv``, the agents acting in turn (PettingZoo's
    ``parallel_to_aec`` conversion of :func:`parallel_env`)."""
    return parallel_to_aec(parallel_env(**kwargs))

"""Step rate of peer job-shop environments, for printing beside our own env.

Two peers are measured (the ``peers`` extra, ``pip install "decisiongym[peers]"``):

* ``JSSEnv`` (prosysscience, Tassel et al. 2021): ``JSSEnv.envs.JssEnv``, an event-driven
  numpy simulator whose action space is ``n_jobs + 1`` (the last action is No-Op) and whose
  observation holds an ``action_mask``.
* ``job-shop-lib`` (Pabloo22): ``SingleJobShopGraphEnv`` on the disjunctive graph, set up as
  in the library's own example (``build_disjunctive_graph``, an ``IS_READY`` job feature,
  default ``MakespanReward``, ``ResidualGraphUpdater`` and dominated-operation filter).
  Its legal actions are ``info["available_operations_with_ids"]``; an action is
  ``(job_id, machine_id)``.

Each peer steps with uniformly random legal actions from a seeded numpy ``Generator`` and
resets at episode end. Only the rollout loop is timed (``time.perf_counter``): building the
env and its first reset are not, the resets at episode end are. The loop runs for at least
``seconds``; when no episode has finished by then it keeps going to finish the first one,
but only while that is projected to end within ``max_seconds`` (default ``3 * seconds``).
So on a large instance with a slow peer the rate comes from a partial episode and
``episodes`` is 0.

The peers are imported inside the functions, so this module imports without them.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import io
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decisiongym.envs.jobshop.formats import read_orlib, write_orlib

__all__ = [
    "PEERS",
    "PeerRate",
    "available_peers",
    "measure_job_shop_lib",
    "measure_jssenv",
]

#: Peer name (its PyPI distribution) -> the module it installs.
PEERS: dict[str, str] = {"JSSEnv": "JSSEnv", "job-shop-lib": "job_shop_lib"}

_INSTALL_HINT = 'pip install "decisiongym[peers]"'


@dataclass(frozen=True)
class PeerRate:
    """Step rate of one peer env on one instance."""

    peer: str
    version: str
    instance: str
    steps_per_s: float
    episodes: int
    seconds: float


def available_peers() -> dict[str, str]:
    """Name -> installed version of each peer that can be imported now.

    Looks the module up with ``importlib.util.find_spec`` and the version with
    ``importlib.metadata`` (without importing the peer). Never raises.
    """
    found: dict[str, str] = {}
    for name, module in PEERS.items():
        try:
            if importlib.util.find_spec(module) is None:
                continue
        except Exception:
            continue
        found[name] = _version(name)
    return found


def measure_jssenv(
    path: str | Path,
    seconds: float = 3.0,
    seed: int = 0,
    *,
    max_seconds: float | None = None,
) -> PeerRate:
    """Steps per second of ``JSSEnv``'s ``JssEnv`` on the instance file at ``path``.

    Raises ``ModuleNotFoundError`` when JSSEnv is not installed.
    """
    name = "JSSEnv"
    n_jobs, n_machines, rows = _read_instance(path)
    with _quiet():
        try:
            from JSSEnv.envs import JssEnv
        except ModuleNotFoundError as exc:
            raise _missing(name, exc) from exc
        # JssEnv parses the file itself and accepts no blank or comment lines.
        with tempfile.TemporaryDirectory() as tmp:
            clean = Path(tmp) / f"{Path(path).stem}.txt"
            write_orlib(read_orlib(path), clean)
            env = JssEnv({"instance_path": str(clean)})
        rng = np.random.default_rng(seed)
        noop = n_jobs
        obs = env.reset()

        def step() -> tuple[bool, bool]:
            nonlocal obs
            legal = np.flatnonzero(obs["action_mask"])
            action = int(legal[rng.integers(legal.size)])
            obs, _, done, _, _ = env.step(action)
            return bool(done), action != noop

        def reset() -> None:
            nonlocal obs
            obs = env.reset()

        steps, episodes, elapsed = timed_rollout(
            step, reset, n_jobs * n_machines, seconds, max_seconds
        )
    return _record(name, path, steps, episodes, elapsed)


def measure_job_shop_lib(
    path: str | Path,
    seconds: float = 3.0,
    seed: int = 0,
    *,
    max_seconds: float | None = None,
) -> PeerRate:
    """Steps per second of job_shop_lib's ``SingleJobShopGraphEnv`` on the file at ``path``.

    Raises ``ModuleNotFoundError`` when job-shop-lib is not installed.
    """
    name = "job-shop-lib"
    n_jobs, n_machines, rows = _read_instance(path)
    with _quiet():
        try:
            from job_shop_lib import JobShopInstance, Operation
            from job_shop_lib.dispatching import DispatcherObserverConfig
            from job_shop_lib.dispatching.feature_observers import (
                FeatureObserverType,
                FeatureType,
            )
            from job_shop_lib.graphs import build_disjunctive_graph
            from job_shop_lib.reinforcement_learning import SingleJobShopGraphEnv
        except ModuleNotFoundError as exc:
            raise _missing(name, exc) from exc
        instance = JobShopInstance(
            [[Operation(machines=m, duration=d) for m, d in row] for row in rows],
            name=Path(path).stem,
        )
        env = SingleJobShopGraphEnv(
            job_shop_graph=build_disjunctive_graph(instance),
            feature_observer_configs=[
                DispatcherObserverConfig(
                    FeatureObserverType.IS_READY,
                    kwargs={"feature_types": [FeatureType.JOBS]},
                )
            ],
        )
        rng = np.random.default_rng(seed)
        _, info = env.reset(seed=seed)

        def step() -> tuple[bool, bool]:
            nonlocal info
            legal = info["available_operations_with_ids"]  # (operation, machine, job)
            _, machine_id, job_id = legal[int(rng.integers(len(legal)))]
            _, _, done, _, info = env.step((job_id, machine_id))
            return bool(done), True

        def reset() -> None:
            nonlocal info
            _, info = env.reset()

        steps, episodes, elapsed = timed_rollout(
            step, reset, n_jobs * n_machines, seconds, max_seconds
        )
    return _record(name, path, steps, episodes, elapsed)


def timed_rollout(
    step: Callable[[], tuple[bool, bool]],
    reset: Callable[[], None],
    n_ops: int,
    seconds: float,
    max_seconds: float | None,
) -> tuple[int, int, float]:
    """Run ``step`` (returning ``(done, scheduled_an_operation)``) and time it.

    Returns ``(steps, finished episodes, elapsed seconds)``.
    """
    if seconds <= 0:
        raise ValueError(f"seconds must be > 0, got {seconds}")
    limit = 3.0 * seconds if max_seconds is None else max(float(max_seconds), seconds)
    clock = time.perf_counter
    steps = episodes = placed = 0
    start = clock()
    deadline, hard_stop = start + seconds, start + limit
    while True:
        done, scheduled = step()
        steps += 1
        placed += scheduled
        if done:
            episodes += 1
            placed = 0
            reset()
        now = clock()
        if now < deadline:
            continue
        if episodes > 0 or now >= hard_stop:
            break
        # No episode finished yet: go on only if the first one should end before hard_stop.
        if placed and start + (now - start) * n_ops / placed > hard_stop:
            break
    return steps, episodes, now - start


def _record(name: str, path: str | Path, steps: int, episodes: int, elapsed: float) -> PeerRate:
    return PeerRate(
        peer=name,
        version=_version(name),
        instance=Path(path).stem,
        steps_per_s=steps / elapsed if elapsed > 0 else 0.0,
        episodes=episodes,
        seconds=elapsed,
    )


def _read_instance(path: str | Path) -> tuple[int, int, list[list[tuple[int, int]]]]:
    """``(n_jobs, n_machines, rows)`` of an OR-Library file, each row ``(machine, duration)``s."""
    instance = read_orlib(path)
    rows = [list(zip(m.tolist(), d.tolist())) for m, d in zip(instance.machines,
                                                               instance.durations)]
    return instance.n_jobs, instance.n_machines, rows


def _version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except Exception:
        return "unknown"


def _missing(name: str, exc: ModuleNotFoundError) -> ModuleNotFoundError:
    return ModuleNotFoundError(
        f"peer env {name!r} is not installed ({exc}); {_INSTALL_HINT}", name=exc.name
    )


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence warnings and prints from the peers."""
    sink = io.StringIO()
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(sink),
        contextlib.redirect_stderr(sink),
    ):
        warnings.simplefilter("ignore")
        yield

"""What a family is, as data: its environment ids, its loader and validator, its method names.

Each family fills in one :class:`Family` in ``decisiongym/envs/<family>/ids.py``. Registration
(``import decisiongym``), ``decisiongym list``, the command line's method choices, the benchmarks
and the docs all read that one description, so no list of ids or method names is typed twice.

Everything here is plain data: entry points, loaders and validators are ``"module:attribute"``
strings, imported only when called, so describing a family imports nothing heavy (no numba, no
torch, no OR-Tools).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any


def resolve(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` string names, imported on demand."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"expected 'module:attribute', got {reference!r}")
    return getattr(importlib.import_module(module_name), attribute)


@dataclass(frozen=True)
class EnvId:
    """One registered environment id.

    :param id: the Gymnasium id, ``decisiongym/Name-vN``.
    :param entry_point: ``"module:Class"`` of the environment.
    :param summary: one line for ``decisiongym list`` and the docs.
    :param kwargs: the default keyword arguments ``gym.make`` passes.
    :param vector_entry_point: ``"module:Class"`` of a native vector env, if the family has one.
    :param parallel_entry_point: ``"module:function"`` building the PettingZoo parallel variant,
        if the family has one.
    """

    id: str
    entry_point: str
    summary: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    vector_entry_point: str | None = None
    parallel_entry_point: str | None = None

    def __post_init__(self) -> None:
        # A frozen description must not be changed through the mapping it holds.
        object.__setattr__(self, "kwargs", MappingProxyType(dict(self.kwargs)))


@dataclass(frozen=True)
class Family:
    """One family of decision problems, described once.

    :param name: the folder name in every layer (``jobshop``, ``soc``, ``bandits``...).
    :param title: a few words for headings.
    :param envs: its registered environment ids.
    :param baselines: method names that do not learn, grouped by how they are used (for example
        ``{"rules": (...), "exact": ("cpsat",)}``); the command line offers them as choices.
    :param agents: method names that learn.
    :param loader: ``"module:function"`` taking a built-in name or a file path and returning the
        family's instance (``None`` where a family has no instances to load, as for bandits).
    :param validator: ``"module:function"`` ``validate(instance, solution)`` re-checking an answer
        from the instance alone (``None`` where the answer is a regret trace measured by the env).
    """

    name: str
    title: str
    envs: tuple[EnvId, ...]
    baselines: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    agents: tuple[str, ...] = ()
    loader: str | None = None
    validator: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "baselines", MappingProxyType(dict(self.baselines)))
        ids = [env.id for env in self.envs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"family {self.name!r} lists an environment id twice")

    @property
    def baseline_names(self) -> tuple[str, ...]:
        """Every baseline name, in the order of its groups."""
        return tuple(name for group in self.baselines.values() for name in group)

    def load(self, name_or_path: str) -> Any:
        """The instance a built-in name or a file path gives (the family's own loader)."""
        if self.loader is None:
            raise NotImplementedError(f"the {self.name} family has no instances to load")
        return resolve(self.loader)(name_or_path)

    def validate(self, instance: Any, solution: Any) -> Any:
        """Re-check ``solution`` against ``instance`` with the family's independent validator;
        raises :class:`~decisiongym.envs.core.errors.ValidationError` naming the broken
        constraint, returns the objective it recomputed."""
        if self.validator is None:
            raise NotImplementedError(f"the {self.name} family has no solution to validate")
        return resolve(self.validator)(instance, solution)

"""decisiongym: real decision environments, with the agents and classical baselines to beat.

Importing the package registers every family's environment ids under the ``decisiongym/``
namespace (read from ``decisiongym/envs/<family>/ids.py``). Entry points are strings, so nothing
heavy (numba kernels, torch, OR-Tools) is imported until an environment is made.
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

from decisiongym.envs import families

__version__ = "0.1.0"


def _register_all() -> None:
    for each in families():
        for env in each.envs:
            if env.id not in registry:
                register(
                    id=env.id,
                    entry_point=env.entry_point,
                    vector_entry_point=env.vector_entry_point,
                    kwargs=dict(env.kwargs),
                )


_register_all()

__all__ = ["__version__"]

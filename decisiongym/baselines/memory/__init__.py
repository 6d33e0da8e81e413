"""Allocation baselines of the memory family: methods that place buffers at offsets without
learning.

* :mod:`~decisiongym.baselines.memory.greedy`: best fit by decreasing size or area, and first
  fit by start time (the heuristics compilers ship);
* :mod:`~decisiongym.baselines.memory.exact`: an exact search in the spirit of MiniMalloc
  (canonical solutions, section inference, dominance, temporal decomposition), feasibility at a
  capacity and the least peak; its numba kernel is
  :mod:`~decisiongym.baselines.memory.exact_kernel`, over the
  :mod:`~decisiongym.baselines.memory.timeline` it sweeps first;
* :mod:`~decisiongym.baselines.memory.cpsat`: OR-Tools CP-SAT with ``NoOverlap2D``.

Every answer is a full offsets array that
:func:`~decisiongym.envs.memory.problem.validate_allocation` checks.
"""

"""Small generated programs and chips the planner tests run on."""

from __future__ import annotations

from decisiongym.agents.memory.search_state import MappingGame
from decisiongym.envs.memory.hardware import Hardware, hardware_preset
from decisiongym.envs.memory.program import Program
from decisiongym.envs.memory.program_generator import SyntheticProgramGenerator


def program_and_chip(shape: str, n_layers: int, seed: int,
                     capacity: float) -> tuple[Program, Hardware]:
    """A generated program and the TPU-like chip with ``capacity`` of its peak live bytes."""
    program = SyntheticProgramGenerator(shape=shape, n_layers=n_layers).generate(seed)
    chip = hardware_preset("tpu-like").with_capacity(capacity, program.peak_live_bytes())
    return program, chip


def game(shape: str = "layers", n_layers: int = 3, seed: int = 0, capacity: float = 0.5,
         mode: str = "full", order: str = "benefit") -> MappingGame:
    program, chip = program_and_chip(shape, n_layers, seed, capacity)
    return MappingGame.build(program, chip, mode, order)

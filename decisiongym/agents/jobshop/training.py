"""What both training methods of the dispatching network share: their log, TensorBoard
writer and the metadata stored in a checkpoint."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from decisiongym.envs.core.files import check_output_file, check_output_folder
from decisiongym.envs.jobshop.generator import RandomInstanceGenerator


@dataclass
class TrainingLog:
    """What a training run did, for tests and the checkpoint's metadata."""

    losses: list[float] = field(default_factory=list)
    scores: list[tuple[int, float]] = field(default_factory=list)
    improvements: int = 0
    cp_seconds: float = 0.0
    wall_s: float = 0.0


def check_outputs(out: str | None, checkpoint_dir: str | None) -> None:
    """Refuse an output path that could not be written before training starts, rather than
    at its end (nothing is created here).

    :raises OutputPathError: when ``out`` is a folder, ``checkpoint_dir`` a file, or a parent
        of either a file.
    """
    if out is not None:
        check_output_file(out)
    if checkpoint_dir is not None:
        check_output_folder(checkpoint_dir)


def summary_writer(log_dir: str | None) -> Any:
    """A TensorBoard writer, or None without a folder."""
    if log_dir is None:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(log_dir)


def training_metadata(method: str, config: Any, log: TrainingLog,
                      score: float) -> dict[str, Any]:
    """Plain values describing how a checkpoint was made (stored inside it)."""
    values = {key: (list(value) if isinstance(value, tuple) else value)
              for key, value in asdict(config).items()
              if key not in ("resume", "checkpoint_dir", "log_dir", "out")}
    return {
        "method": method,
        "config": values,
        "validation_makespan_over_best_rule": score,
        "improvements": log.improvements,
        "wall_s": round(log.wall_s, 1),
        "torch": str(torch.__version__),
    }


def instance_generator(min_size: tuple[int, int],
                       max_size: tuple[int, int]) -> RandomInstanceGenerator:
    """Random Taillard-style instances from ``min_size`` to ``max_size`` ``(jobs, machines)``."""
    return RandomInstanceGenerator((min_size[0], max_size[0]), (min_size[1], max_size[1]))

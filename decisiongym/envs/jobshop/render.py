"""Drawing job-shop schedules: a text listing per machine, and Gantt charts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from decisiongym.envs.core.gantt import Bar, draw_gantt, figure_to_rgb, save_figure
from decisiongym.envs.jobshop.solution import Schedule


def schedule_text(schedule: Schedule) -> str:
    """One line per machine listing ``job:start-end`` in order of start."""
    inst = schedule.instance
    lines = [f"{inst.name}: {int((schedule.start >= 0).sum())}/{inst.n_operations} operations "
             f"scheduled, makespan {schedule.makespan}"]
    width = len(str(inst.n_machines - 1))
    for m, sequence in enumerate(schedule.machine_sequences()):
        cells = [f"j{j}:{schedule.start[j, k]}-{schedule.start[j, k] + inst.durations[j, k]}"
                 for j, k in sequence]
        lines.append(f"M{m:<{width}} | " + " ".join(cells))
    return "\n".join(lines)


def _figure(schedule: Schedule, title: str | None):
    inst = schedule.instance
    bars = [
        Bar(int(inst.machines[j, k]), float(schedule.start[j, k]), float(inst.durations[j, k]),
            int(j), str(j))
        for j, k in zip(*np.nonzero(schedule.start >= 0))
    ]
    if title is None:
        title = f"{inst.name}: makespan {schedule.makespan}"
    return draw_gantt(bars, [f"M{m}" for m in range(inst.n_machines)], title)


def gantt_rgb(schedule: Schedule, title: str | None = None) -> np.ndarray:
    """The schedule's Gantt chart as an RGB array (bars labelled with the job index)."""
    return figure_to_rgb(_figure(schedule, title))


def save_gantt(schedule: Schedule, path: str | Path, title: str | None = None) -> Path:
    """Write the schedule's Gantt chart to an image file (PNG, SVG, PDF by suffix; PNG and
    ``.png`` added without one), whole or not at all; return the file written.

    :raises OutputPathError: when ``path`` is a folder or a parent of it is a file.
    """
    return save_figure(_figure(schedule, title), path)

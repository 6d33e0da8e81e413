"""Gantt charts: rows of labelled bars, drawn with matplotlib (headless)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decisiongym.envs.core.files import write_figure_atomic


@dataclass(frozen=True)
class Bar:
    """One bar: ``row`` (a machine, a processing element...), ``[start, start + length)``,
    ``group`` picks the colour (a job, an application) and ``label`` is written inside."""

    row: int
    start: float
    length: float
    group: int
    label: str = ""


def draw_gantt(
    bars: Sequence[Bar],
    row_names: Sequence[str],
    title: str = "",
    xlabel: str = "time",
    width: float = 12.0,
):
    """A matplotlib figure with one horizontal lane per row (the caller closes it)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    n_rows = len(row_names)
    fig, ax = plt.subplots(figsize=(width, max(2.0, 0.35 * n_rows + 1.2)), dpi=100)
    n_groups = max((b.group for b in bars), default=0) + 1
    cmap = plt.get_cmap("tab20" if n_groups > 10 else "tab10")
    label_bars = len(bars) <= 400
    for bar in bars:
        ax.broken_barh([(bar.start, bar.length)], (bar.row - 0.4, 0.8),
                       facecolors=cmap(bar.group % cmap.N), edgecolor="black", linewidth=0.3)
        if label_bars and bar.label:
            ax.text(bar.start + bar.length / 2, bar.row, bar.label, ha="center", va="center",
                    fontsize=6, clip_on=True)
    ax.set_yticks(range(n_rows))
    ax.set_yticklabels(row_names, fontsize=7)
    ax.invert_yaxis()
    end = max((b.start + b.length for b in bars), default=1.0)
    ax.set_xlim(0, end * 1.01)
    ax.set_xlabel(xlabel)
    if title:
        ax.set_title(title, fontsize=9)
    ax.grid(axis="x", linewidth=0.3, alpha=0.5)
    fig.tight_layout()
    return fig


def figure_to_rgb(fig) -> np.ndarray:
    """The figure's pixels as an ``(height, width, 3)`` uint8 array; closes the figure."""
    import matplotlib.pyplot as plt

    fig.canvas.draw()
    rgb = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return rgb


def save_figure(fig, path: str | Path) -> Path:
    """Write the figure as an image (format from the suffix, PNG without one; missing folders
    are created), whole or not at all, and close it; return the file written.

    :raises OutputPathError: when ``path`` is a folder or a parent of it is a file.
    """
    import matplotlib.pyplot as plt

    try:
        return write_figure_atomic(fig, path, make_folders=True)
    finally:
        plt.close(fig)

"""PNG figures of the benchmark and the evaluation (matplotlib, Agg backend; written atomically)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ..fileio import atomic_write


def _figure(nrows: int, ncols: int, size: tuple[float, float]):
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.subplots(nrows, ncols, squeeze=False)


def _save(fig, path: str | Path) -> None:
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=100))


def plot_benchmark(path: str | Path, results: Sequence[dict]) -> None:
    """Two panels: RTF vs diffusion steps (longest text, batch 1) and RTF vs text length (fewest steps), one line
    per (acoustic | end-to-end with each vocoder) and schedule (and backend and precision when the rows have
    several), log scale."""
    fig, axes = _figure(1, 2, (11, 4.2))
    ax_steps, ax_words = axes[0]
    rows = [r for r in results if r["batch_size"] == 1]
    if rows:
        longest = max(r["words"] for r in rows)
        fewest = min(r["steps"] for r in rows)
        def key(r):
            return (r.get("backend", "torch"), r.get("precision", "fp32"), r["kind"], r["vocoder"] or "", r["schedule"])

        series = sorted({key(r) for r in rows})
        several = len({k[:2] for k in series}) > 1
        for backend, precision, kind, voc, sched in series:
            label = ("acoustic" if kind == "acoustic" else f"end-to-end ({voc})") + f", {sched}"
            label += f", {backend} {precision}" if several else ""
            mine = [r for r in rows if key(r) == (backend, precision, kind, voc, sched)]
            by_steps = sorted((r["steps"], r["rtf"]["median"]) for r in mine if r["words"] == longest)
            if by_steps:
                ax_steps.plot(*zip(*by_steps), marker="o", label=label)
            by_words = sorted((r["words"], r["rtf"]["median"]) for r in mine if r["steps"] == fewest)
            if by_words:
                ax_words.plot(*zip(*by_words), marker="o", label=label)
        ax_steps.set_title(f"RTF vs steps ({longest}-word text, batch 1)")
        ax_words.set_title(f"RTF vs text length ({fewest} steps, batch 1)")
    ax_steps.set_xlabel("diffusion steps")
    ax_words.set_xlabel("words")
    for ax in (ax_steps, ax_words):
        ax.set_xscale("log", base=2)
        xs = sorted({float(x) for line in ax.get_lines() for x in line.get_xdata()})
        if xs:
            ax.set_xticks(xs, [f"{x:g}" for x in xs])
            ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_ylabel("real-time factor (lower is faster)")
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=7)
    _save(fig, path)


def plot_mels(path: str | Path, titles: Sequence[str], grid: Sequence[Sequence[np.ndarray]],
              column_titles: Sequence[str]) -> None:
    """``grid[i][j]``: natural-log mel [n_mels, T] of utterance ``i`` (row, titled ``titles[i]``) under
    condition ``j`` (column, e.g. the recording and each generated setting)."""
    nrows, ncols = len(grid), max(len(r) for r in grid)
    fig, axes = _figure(nrows, ncols, (3.2 * ncols, 2.2 * nrows))
    vmax = max(float(np.max(m)) for row in grid for m in row)
    vmin = max(min(float(np.min(m)) for row in grid for m in row), vmax - 14.0)  # natural log: ~60 dB
    for i, row in enumerate(grid):
        for j in range(ncols):
            ax = axes[i][j]
            if j >= len(row):
                ax.axis("off")
                continue
            ax.imshow(row[j], origin="lower", aspect="auto", interpolation="none", vmin=vmin, vmax=vmax)
            ax.set_title(f"{column_titles[j]}" if i == 0 else "", fontsize=8)
            ax.set_ylabel(titles[i] if j == 0 else "", fontsize=7)
            ax.tick_params(labelsize=6)
    _save(fig, path)

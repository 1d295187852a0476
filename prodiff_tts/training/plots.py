"""Figures of mels (generated vs recording): PNG files written atomically (teacher validation) and RGB arrays for
a logger that takes images (vocoder validation); matplotlib without a display."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..fileio import atomic_write


def save_mel_comparison(path: str | Path, generated: torch.Tensor, reference: torch.Tensor,
                        lengths: torch.Tensor, titles: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = generated.shape[0]
    fig, axes = plt.subplots(n, 2, figsize=(12, 2.6 * n), squeeze=False)
    for i in range(n):
        T = int(lengths[i])
        for j, (mel, name) in enumerate(((generated, "generated"), (reference, "recording"))):
            ax = axes[i][j]
            ax.imshow(mel[i, :, :T].float().cpu().numpy(), origin="lower", aspect="auto", interpolation="none")
            ax.set_title(f"{titles[i]}: {name}", fontsize=9)
            ax.set_xlabel("frame")
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, format="png", dpi=80))
    plt.close(fig)


def mel_image(mel: torch.Tensor, mel_hat: torch.Tensor) -> np.ndarray | None:
    """Recording mel [M, T] above the generated one, as an RGB array [H, W, 3] (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(2, 1, figsize=(10, 5), sharex=True)
    for ax, m, title in zip(axes, (mel, mel_hat), ("recording", "generated")):
        ax.imshow(m.detach().float().cpu().numpy(), origin="lower", aspect="auto", interpolation="none")
        ax.set_title(title)
    fig.tight_layout()
    fig.canvas.draw()
    img = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return img

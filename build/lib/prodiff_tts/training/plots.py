"""PNG figures of mels (generated vs recording), written atomically; matplotlib without a display."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch

from ..audio import atomic_write


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

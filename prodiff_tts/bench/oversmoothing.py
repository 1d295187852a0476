"""Over-smoothing of generated speech against recorded speech, as sets (no frame pairing needed).

* Global variance (GV, Toda & Tokuda 2007): the variance over time of each log-mel band within an utterance,
  averaged over the set. A smoothed, mean-like output has less of it: the ratio generated / recorded falls
  below 1. Summary: the geometric mean of the per-band ratios (1 = as varied as the recordings).
* Modulation spectrum (MS, Takamichi et al. 2014): the power spectrum of each band's trajectory over time
  (segments of ``segment`` frames, Hann window, utterance mean removed), in dB, averaged over the set.
  Smoothing removes the fast modulations. Summary: the RMS difference (dB) over bands and modulation
  frequencies, DC excluded (0 = the same modulation spectrum).

Both take natural-log mels ``[n_mels, T]``, e.g. recomputed from the audio a listener hears.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MS_SEGMENT = 64  # frames (0.74 s at hop 256 / 22.05 kHz): modulation resolution 1.35 Hz
_EPS = 1e-10


def global_variance(mels: Sequence[np.ndarray]) -> np.ndarray:
    """Per-band GV of a set of log-mels: mean over utterances of the variance over time, shape [n_mels]."""
    if not mels:
        raise ValueError("global variance of an empty set")
    return np.mean([np.var(np.asarray(m, dtype=np.float64), axis=-1) for m in mels], axis=0)


def gv_ratio(generated: Sequence[np.ndarray], recorded: Sequence[np.ndarray]) -> tuple[float, np.ndarray]:
    """(geometric-mean GV ratio, per-band ratio generated / recorded)."""
    per_band = (global_variance(generated) + _EPS) / (global_variance(recorded) + _EPS)
    return float(np.exp(np.mean(np.log(per_band)))), per_band


def modulation_power(mel: np.ndarray, segment: int = MS_SEGMENT) -> tuple[np.ndarray, int]:
    """One log-mel's modulation power summed over its segments, [n_mels, segment // 2 + 1], and the number of
    segments. A log-mel shorter than a segment is zero-padded after removing its mean."""
    x = np.asarray(mel, dtype=np.float64)
    x = x - x.mean(axis=-1, keepdims=True)
    if x.shape[-1] < segment:
        x = np.pad(x, ((0, 0), (0, segment - x.shape[-1])))
    starts = range(0, x.shape[-1] - segment + 1, segment // 2)
    frames = np.stack([x[:, s : s + segment] for s in starts], axis=0) * np.hanning(segment)  # [S, n_mels, segment]
    power = np.abs(np.fft.rfft(frames, axis=-1)) ** 2
    return power.sum(axis=0), power.shape[0]


def modulation_spectrum(mels: Sequence[np.ndarray], segment: int = MS_SEGMENT) -> np.ndarray:
    """Mean modulation power spectrum (dB) of a set of log-mels, shape [n_mels, segment // 2 + 1]: the power of
    every segment of every utterance pooled (:func:`modulation_power`)."""
    if not mels:
        raise ValueError("modulation spectrum of an empty set")
    sums = [modulation_power(m, segment) for m in mels]
    total = np.sum([p for p, _ in sums], axis=0)
    return 10.0 * np.log10(total / sum(c for _, c in sums) + _EPS)


def ms_distance(generated: Sequence[np.ndarray], recorded: Sequence[np.ndarray],
                segment: int = MS_SEGMENT) -> tuple[float, np.ndarray]:
    """(RMS dB difference of the modulation spectra over bands and modulation frequencies without DC,
    per-band RMS dB difference)."""
    diff = modulation_spectrum(generated, segment)[:, 1:] - modulation_spectrum(recorded, segment)[:, 1:]
    return float(np.sqrt(np.mean(diff**2))), np.sqrt(np.mean(diff**2, axis=-1))


def embedding_frechet(generated: Sequence[np.ndarray], recorded: Sequence[np.ndarray]) -> float:
    """Fréchet distance between Gaussians fitted to two sets of embedding vectors (each item [frames, dim],
    the frames of all items pooled)."""
    from .metrics import frechet_distance

    a = np.concatenate([np.asarray(g, dtype=np.float64) for g in generated], axis=0)
    b = np.concatenate([np.asarray(r, dtype=np.float64) for r in recorded], axis=0)
    if len(a) < 2 or len(b) < 2:
        raise ValueError("embedding Fréchet needs at least two frames on each side")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False))


def plot_oversmoothing(path, rows: Sequence[tuple[str, np.ndarray, np.ndarray]]) -> None:
    """Per-band PNG: GV ratio and MS distance for each (label, gv_ratio_per_band, ms_distance_per_band)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..fileio import atomic_write

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 3.8))
    for label, gv, ms in rows:
        ax1.plot(gv, label=label)
        ax2.plot(ms, label=label)
    ax1.axhline(1.0, color="k", lw=0.8, ls=":")
    ax1.set(xlabel="mel band", ylabel="GV ratio (generated / recorded)", yscale="log",
            title="global variance (1 = as varied as the recordings)")
    ax2.set(xlabel="mel band", ylabel="RMS dB", title="modulation-spectrum distance (0 = same)")
    ax1.legend(fontsize=7)
    fig.tight_layout()
    atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
    plt.close(fig)

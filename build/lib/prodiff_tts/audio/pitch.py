"""Frame-level F0 (WORLD DIO + StoneMask) and energy, on the mel frame grid of an AudioConfig."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from .config import AudioConfig

F0_FLOOR = 60.0
F0_CEIL = 600.0


def extract_f0(wav: np.ndarray, config: AudioConfig, f0_floor: float = F0_FLOOR, f0_ceil: float = F0_CEIL) -> np.ndarray:
    """F0 in Hz per mel frame (``len(wav) // hop`` values), 0 where unvoiced."""
    with warnings.catch_warnings():  # pyworld imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import pyworld  # imported here: it is only needed while preparing data

    x = wav.astype(np.float64)
    period_ms = 1000.0 * config.hop_length / config.sample_rate
    f0, t = pyworld.dio(x, config.sample_rate, f0_floor=f0_floor, f0_ceil=f0_ceil, frame_period=period_ms)
    f0 = pyworld.stonemask(x, f0, t, config.sample_rate)
    frames = config.num_frames(len(wav))
    # DIO's frame i is centred at i * hop; mel frame i covers [i*hop - (n_fft-hop)/2, ...] and is centred at
    # i*hop + hop/2, so the two grids agree within half a hop: take the first ``frames`` values.
    out = np.zeros(frames, dtype=np.float32)
    n = min(frames, len(f0))
    out[:n] = f0[:n]
    return out


def interpolate_log_f0(f0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(log-F0 linearly interpolated through unvoiced frames, voiced mask). All-unvoiced gives zeros."""
    voiced = f0 > 0
    log_f0 = np.zeros_like(f0, dtype=np.float32)
    if voiced.any():
        idx = np.arange(len(f0))
        log_f0 = np.interp(idx, idx[voiced], np.log(f0[voiced])).astype(np.float32)
    return log_f0, voiced


def log_energy(magnitude: torch.Tensor) -> torch.Tensor:
    """Natural log of the L2 norm of each STFT magnitude frame: [..., freq, frames] -> [..., frames]."""
    return torch.log(torch.clamp(torch.linalg.vector_norm(magnitude, dim=-2), min=1e-5))

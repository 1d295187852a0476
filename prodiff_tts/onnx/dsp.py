"""Numpy signal processing of the ONNX path: the STFT framing of ``audio.griffin_lim`` (reflect padding by
``(n_fft - hop) / 2``, no centring, ``frames * hop`` samples out), its exact inverse, the mel magnitude
estimate (pseudo-inverse + multiplicative NNLS) and fast Griffin-Lim with momentum. The window and the mel
filterbank come from the export (audio.npz, written from the torch code), so both paths use the same
numbers. Pure functions; randomness only through an explicit seed or initial phase."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Spectral", "stft", "istft", "mel_to_linear", "match_mel", "mel_matched", "griffin_lim", "griffin_lim_phase"]


@dataclass(frozen=True)
class Spectral:
    """What the numpy DSP needs: ``window [n_fft]``, ``mel_basis [n_mels, F]``, ``mel_pinv [F, n_mels]``
    (float32) and the hop."""

    window: np.ndarray
    mel_basis: np.ndarray
    mel_pinv: np.ndarray
    hop: int

    @property
    def n_fft(self) -> int:
        return int(self.window.shape[0])


def stft(wav: np.ndarray, sp: Spectral) -> np.ndarray:
    """Complex STFT ``[B, n_fft // 2 + 1, L // hop]`` (complex64) of ``wav [B, L]``."""
    n_fft, hop = sp.n_fft, sp.hop
    pad = (n_fft - hop) // 2
    if wav.shape[-1] <= pad:
        wav = np.pad(wav, ((0, 0), (0, pad + 1 - wav.shape[-1])))
    frames = wav.shape[-1] // hop
    x = np.pad(wav, ((0, 0), (pad, pad)), mode="reflect")
    windows = np.lib.stride_tricks.sliding_window_view(x, n_fft, axis=-1)[:, ::hop][:, :frames]
    return np.fft.rfft(windows * sp.window, axis=-1).astype(np.complex64).transpose(0, 2, 1)


def _overlap_add(frames: np.ndarray, hop: int) -> np.ndarray:
    """``frames [B, n_fft, T]`` overlap-added at ``hop`` -> ``[B, (T - 1) * hop + n_fft]``."""
    B, n_fft, T = frames.shape
    if n_fft % hop == 0:  # n_fft / hop shifted additions instead of one per frame
        r = n_fft // hop
        y = np.zeros((B, T + r - 1, hop), dtype=frames.dtype)
        parts = frames.reshape(B, r, hop, T).transpose(0, 1, 3, 2)  # [B, r, T, hop]
        for j in range(r):
            y[:, j : j + T] += parts[:, j]
        return y.reshape(B, -1)
    y = np.zeros((B, (T - 1) * hop + n_fft), dtype=frames.dtype)
    for i in range(T):
        y[:, i * hop : i * hop + n_fft] += frames[:, :, i]
    return y


def istft(spec: np.ndarray, sp: Spectral) -> np.ndarray:
    """Inverse of :func:`stft`: complex ``[B, F, T]`` -> float32 ``[B, T * hop]`` (windowed overlap-add over
    the squared-window envelope, the padding cut), as ``audio.griffin_lim.istft``."""
    n_fft, hop = sp.n_fft, sp.hop
    T = spec.shape[-1]
    frames = np.fft.irfft(spec, n=n_fft, axis=1).astype(np.float32) * sp.window[None, :, None]
    y = _overlap_add(frames, hop)
    env = _overlap_add(np.broadcast_to((sp.window**2)[None, :, None], (1, n_fft, T)).astype(np.float32), hop)[0]
    pad = (n_fft - hop) // 2
    y = y[:, pad : pad + T * hop]
    env = env[pad : pad + T * hop]
    return y / np.maximum(env, np.float32(1e-11))


def mel_to_linear(log_mel: np.ndarray, sp: Spectral, nnls_iter: int = 20) -> np.ndarray:
    """Natural-log mel ``[B, n_mels, T]`` -> non-negative linear magnitude ``[B, F, T]``: the pseudo-inverse
    solution floored at 1e-6, refined by ``nnls_iter`` multiplicative (Lee-Seung) updates."""
    mel = np.exp(log_mel.astype(np.float32))
    s = np.maximum(np.matmul(sp.mel_pinv, mel), np.float32(1e-6))
    return _nnls_updates(s, np.matmul(sp.mel_basis.T, mel), sp, nnls_iter)


def _nnls_updates(s: np.ndarray, num: np.ndarray, sp: Spectral, n_iter: int) -> np.ndarray:
    """``n_iter`` multiplicative (Lee-Seung) updates ``s * num / (M^T M s)``, ``num = M^T m``."""
    for _ in range(n_iter):  # M^T (M s), not (M^T M) s: n_mels / (n_fft / 2 + 1) of the work
        s = s * num / (np.matmul(sp.mel_basis.T, np.matmul(sp.mel_basis, s)) + np.float32(1e-10))
    return s


def _match_target(log_mel: np.ndarray, sp: Spectral) -> np.ndarray:
    # + 1e-10: a bin no filter covers gets the ratio 1 (kept), not 0
    return np.matmul(sp.mel_basis.T, np.exp(log_mel.astype(np.float32))) + np.float32(1e-10)


def match_mel(magnitude: np.ndarray, log_mel: np.ndarray, sp: Spectral, n_iter: int = 2) -> np.ndarray:
    """``audio.griffin_lim.match_mel``: multiplicative NNLS updates started from ``magnitude [B, F, T]``, which
    bring its mel towards ``log_mel`` and keep the structure within each filter."""
    return _nnls_updates(magnitude.astype(np.float32), _match_target(log_mel, sp), sp, n_iter)


def mel_matched(wav: np.ndarray, log_mel: np.ndarray, sp: Spectral, rounds: int, n_iter: int = 2) -> np.ndarray:
    """``audio.griffin_lim.mel_matched``: ``rounds`` times the STFT of ``wav [B, L]``, its magnitude matched to
    ``log_mel``, its phase kept, back to a waveform (``ISTFTVocoder(mel_match_iters=rounds)``)."""
    target = _match_target(log_mel, sp)  # once for every round
    for _ in range(rounds):
        spec = stft(wav, sp)
        magnitude = np.abs(spec)
        phase = spec / (magnitude + np.float32(1e-16))
        wav = istft((_nnls_updates(magnitude, target, sp, n_iter) * phase).astype(np.complex64), sp)
    return wav


def griffin_lim_phase(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random initial phase factors ``exp(2 pi i u)``, ``u`` uniform from numpy's PCG64 seeded with ``seed``."""
    u = np.random.default_rng(int(seed)).random(shape, dtype=np.float32)
    return np.exp(2j * np.pi * u).astype(np.complex64)


def griffin_lim(magnitude: np.ndarray, sp: Spectral, n_iter: int = 32, momentum: float = 0.99,
                angles: np.ndarray | None = None, seed: int = 0) -> np.ndarray:
    """Fast Griffin-Lim (Perraudin et al. 2013): magnitude ``[B, F, T]`` -> wav ``[B, T * hop]``. ``angles``:
    the initial phase factors (default :func:`griffin_lim_phase` of ``seed``)."""
    if not 0.0 <= momentum < 1.0 + 1e-9:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    magnitude = magnitude.astype(np.float32)
    angles = griffin_lim_phase(magnitude.shape, seed) if angles is None else angles.astype(np.complex64)
    tprev = np.zeros_like(angles)
    alpha = np.float32(momentum / (1.0 + momentum))
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles, sp), sp)
        angles = rebuilt - alpha * tprev
        angles = angles / (np.abs(angles) + np.float32(1e-16))
        tprev = rebuilt
    return istft(magnitude * angles, sp)

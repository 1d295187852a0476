"""Griffin-Lim phase reconstruction (fast GL with momentum) and the framing helpers it shares with the
iSTFT vocoder.

Framing follows :class:`~prodiff_tts.audio.mel.MelSpectrogram` (HiFi-GAN convention): the waveform is
reflect-padded by ``(n_fft - hop) / 2`` on each side and framed without centring, so ``T`` frames describe
exactly ``T * hop`` samples. :func:`istft` is the exact inverse of that framing (weighted overlap-add with
the squared-window envelope, then the padding is cut), so its output length is always ``frames * hop``.
``torch.istft(center=False)`` cannot be used for this: the Hann window is zero at the first sample and
its NOLA check fails at the edges.

All functions are pure functions of their inputs (randomness only through an explicit generator).
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from .config import AudioConfig
from .filterbank import slaney_mel_basis

__all__ = [
    "stft",
    "istft",
    "mel_basis",
    "mel_pseudo_inverse",
    "mel_to_linear",
    "match_mel",
    "mel_matched",
    "griffin_lim",
    "mel_to_wav_griffin_lim",
    "spectral_convergence",
]


def _window(config: AudioConfig, device: torch.device, dtype: torch.dtype) -> torch.Tensor:
    """Hann window of ``win_length`` zero-padded (centred) to ``n_fft``, as torch.stft does."""
    w = torch.hann_window(config.win_length, device=device, dtype=dtype)
    if config.win_length < config.n_fft:
        left = (config.n_fft - config.win_length) // 2
        w = F.pad(w, (left, config.n_fft - config.win_length - left))
    return w


def stft(wav: torch.Tensor, config: AudioConfig) -> torch.Tensor:
    """Complex STFT [B, n_fft // 2 + 1, T // hop] of wav [B, T] with MelSpectrogram's framing."""
    c = config
    pad = (c.n_fft - c.hop_length) // 2
    if wav.shape[-1] <= pad:
        wav = F.pad(wav, (0, pad + 1 - wav.shape[-1]))
    frames = wav.shape[-1] // c.hop_length
    x = F.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
    spec = torch.stft(
        x,
        n_fft=c.n_fft,
        hop_length=c.hop_length,
        win_length=c.n_fft,
        window=_window(c, x.device, x.dtype),
        center=False,
        return_complex=True,
    )
    return spec[..., :frames]


def _overlap_add(frames: torch.Tensor, hop: int) -> torch.Tensor:
    """``frames [B, n_fft, T]`` overlap-added at ``hop`` -> ``[B, (T - 1) * hop + n_fft]``. When ``hop`` divides
    ``n_fft`` this is ``n_fft / hop`` shifted sums of whole blocks (several times faster than ``F.fold``,
    which adds frame by frame); out of place, so it stays differentiable."""
    B, n_fft, T = frames.shape
    if n_fft % hop:
        total = (T - 1) * hop + n_fft
        return F.fold(frames, output_size=(1, total), kernel_size=(1, n_fft), stride=(1, hop))[:, 0, 0]
    r = n_fft // hop
    blocks = frames.reshape(B, r, hop, T).transpose(2, 3)  # [B, r, T, hop]: block j of every frame
    y = sum(F.pad(blocks[:, j], (0, 0, j, r - 1 - j)) for j in range(r))  # [B, T + r - 1, hop]
    return y.reshape(B, -1)


def istft(spec: torch.Tensor, config: AudioConfig) -> torch.Tensor:
    """Inverse of :func:`stft`: complex [B, n_fft // 2 + 1, T] -> real [B, T * hop].

    Windowed overlap-add divided by the squared-window envelope ("same" padding, as Vocos does), then
    ``(n_fft - hop) / 2`` samples are cut on each side. Differentiable.
    """
    c = config
    B, _, T = spec.shape
    win = _window(c, spec.device, spec.real.dtype)
    frames = torch.fft.irfft(spec, n=c.n_fft, dim=1) * win[None, :, None]  # [B, n_fft, T]
    y = _overlap_add(frames, c.hop_length)
    env = _overlap_add((win**2)[None, :, None].expand(1, c.n_fft, T), c.hop_length)[0]
    pad = (c.n_fft - c.hop_length) // 2
    y = y[:, pad : pad + T * c.hop_length]
    env = env[pad : pad + T * c.hop_length]
    return y / env.clamp(min=1e-11)


@functools.lru_cache(maxsize=8)
def _mel_basis_np(config: AudioConfig) -> np.ndarray:
    return slaney_mel_basis(config.sample_rate, config.n_fft, config.n_mels, config.fmin, config.fmax)


def mel_basis(config: AudioConfig, device: torch.device | str = "cpu") -> torch.Tensor:
    """The Slaney mel filterbank [n_mels, n_fft // 2 + 1] used by MelSpectrogram."""
    return torch.from_numpy(_mel_basis_np(config)).to(device)


@functools.lru_cache(maxsize=8)
def _mel_pinv_np(config: AudioConfig) -> np.ndarray:
    return np.linalg.pinv(_mel_basis_np(config).astype(np.float64)).astype(np.float32)


def mel_pseudo_inverse(config: AudioConfig, device: torch.device | str = "cpu") -> torch.Tensor:
    """Moore-Penrose pseudo-inverse of :func:`mel_basis`, [n_fft // 2 + 1, n_mels]."""
    return torch.from_numpy(_mel_pinv_np(config)).to(device)


def mel_to_linear(log_mel: torch.Tensor, config: AudioConfig, nnls_iter: int = 20) -> torch.Tensor:
    """Natural-log mel [B, n_mels, T] -> non-negative linear magnitude [B, n_fft // 2 + 1, T].

    Least squares under a non-negativity constraint: the pseudo-inverse solution clipped at a small
    positive floor, refined by ``nnls_iter`` multiplicative (Lee-Seung) updates, which keep the estimate
    non-negative and decrease ||M s - m||².
    """
    basis = mel_basis(config, log_mel.device).to(log_mel.dtype)
    pinv = mel_pseudo_inverse(config, log_mel.device).to(log_mel.dtype)
    mel = torch.exp(log_mel)
    s = torch.matmul(pinv, mel).clamp(min=1e-6)
    return _nnls_updates(s, torch.matmul(basis.T, mel), basis, nnls_iter)


def _nnls_updates(s: torch.Tensor, num: torch.Tensor, basis: torch.Tensor, n_iter: int) -> torch.Tensor:
    """``n_iter`` multiplicative (Lee-Seung) updates ``s * num / (M^T M s)``, ``num = M^T m``."""
    for _ in range(n_iter):  # M^T (M s), not (M^T M) s: n_mels / (n_fft / 2 + 1) of the work
        s = s * num / (torch.matmul(basis.T, torch.matmul(basis, s)) + 1e-10)
    return s


def match_mel(magnitude: torch.Tensor, log_mel: torch.Tensor, config: AudioConfig, n_iter: int = 4) -> torch.Tensor:
    """Rescale a linear magnitude [B, F, T] towards one whose mel is ``log_mel`` [B, n_mels, T].

    The multiplicative NNLS updates of :func:`mel_to_linear`, started from ``magnitude`` instead of the
    pseudo-inverse: each update multiplies every bin by a filter-weighted ratio of target to current mel
    energy, so the mel envelope converges to the target while the structure within a filter (harmonics,
    a vocoder's spectral detail) is kept. Bins no filter covers (above ``fmax``) are left as they are.
    """
    basis = mel_basis(config, magnitude.device).to(magnitude.dtype)
    return _nnls_updates(magnitude, _match_target(log_mel, basis), basis, n_iter)


def _match_target(log_mel: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    # + 1e-10: a bin no filter covers gets the ratio 1 (kept), not 0
    return torch.matmul(basis.T, torch.exp(log_mel.to(basis.dtype))) + 1e-10


def mel_matched(wav: torch.Tensor, log_mel: torch.Tensor, config: AudioConfig, rounds: int, n_iter: int = 2
                ) -> torch.Tensor:
    """``rounds`` times: the STFT of ``wav [B, T * hop]``, its magnitude matched to ``log_mel`` [B, n_mels, T]
    (:func:`match_mel`, ``n_iter`` updates), its phase kept, back to a waveform. What
    ``ISTFTVocoder(mel_match_iters=rounds)`` does after its inverse STFT."""
    if rounds <= 0:
        return wav
    basis = mel_basis(config, wav.device).to(wav.dtype)
    target = _match_target(log_mel, basis)  # once for every round
    for _ in range(rounds):
        spec = stft(wav, config)
        magnitude = spec.abs()
        wav = istft(_nnls_updates(magnitude, target, basis, n_iter) * torch.sgn(spec), config)
    return wav


def griffin_lim(
    magnitude: torch.Tensor,
    config: AudioConfig,
    n_iter: int = 32,
    momentum: float = 0.99,
    generator: torch.Generator | None = None,
    init: str = "random",
) -> torch.Tensor:
    """Fast Griffin-Lim (Perraudin et al. 2013): linear magnitude [B, F, T] -> wav [B, T * hop].

    ``momentum`` 0 gives the classic algorithm; 0.99 is the accelerated one (librosa's default).
    ``init="random"`` draws the initial phase from ``generator`` (seed 0 when None, so the result is
    deterministic); ``init="zeros"`` starts from zero phase; ``init="pghi"`` from the phase that phase
    gradient heap integration (:mod:`.pghi`) derives from the magnitude (the coefficients too quiet to
    integrate take their random phase from ``generator``): on a true STFT magnitude it starts near a
    consistent phase, on a magnitude estimated from a mel it measured no better than a random start
    (docs/speed.md).
    """
    if not 0.0 <= momentum < 1.0 + 1e-9:
        raise ValueError(f"momentum must be in [0, 1], got {momentum}")
    squeeze = magnitude.dim() == 2
    if squeeze:
        magnitude = magnitude.unsqueeze(0)
    magnitude = magnitude.float()
    if init == "random":
        if generator is None:
            generator = torch.Generator(device="cpu").manual_seed(0)
        phase = torch.rand(magnitude.shape, generator=generator, device="cpu").to(magnitude.device)
        angles = torch.polar(torch.ones_like(magnitude), 2 * torch.pi * phase)
    elif init == "zeros":
        angles = torch.ones_like(magnitude, dtype=torch.complex64)
    elif init == "pghi":
        from .pghi import pghi_phase  # numba: compiled (and cached) on first use only

        if generator is None:
            generator = torch.Generator(device="cpu").manual_seed(0)
        seed = int(torch.randint(2**31 - 1, (1,), generator=generator))
        rng = np.random.default_rng(seed)
        mags = magnitude.detach().cpu().double().numpy()
        phase = [pghi_phase(m, config.hop_length, config.n_fft, config.win_length, rng=rng) for m in mags]
        phase = torch.from_numpy(np.stack(phase)).float()
        angles = torch.polar(torch.ones_like(magnitude), phase.to(magnitude.device))
    else:
        raise ValueError(f"init must be 'random', 'zeros' or 'pghi', got {init!r}")
    tprev = torch.zeros_like(angles)
    alpha = momentum / (1.0 + momentum)
    magnitude = magnitude.to(angles.dtype)  # once, not a real -> complex promotion per iteration
    for _ in range(n_iter):
        rebuilt = stft(istft(magnitude * angles, config), config)
        angles = torch.sgn(rebuilt - alpha * tprev)  # unit phase factors (0 stays 0); faster than z / |z|
        tprev = rebuilt
    wav = istft(magnitude * angles, config)
    return wav.squeeze(0) if squeeze else wav


def mel_to_wav_griffin_lim(
    log_mel: torch.Tensor,
    config: AudioConfig,
    n_iter: int = 32,
    momentum: float = 0.99,
    power: float = 1.0,
    nnls_iter: int = 20,
    generator: torch.Generator | None = None,
    init: str = "random",
) -> torch.Tensor:
    """Natural-log mel [B, n_mels, T] (or [n_mels, T]) -> wav [B, T * hop] in [-1, 1].

    ``power`` > 1 sharpens the magnitude before phase reconstruction (1.0 = none; 1.2-1.5 reduces the
    typical GL "phasiness" a little at the cost of level accuracy).
    """
    squeeze = log_mel.dim() == 2
    if squeeze:
        log_mel = log_mel.unsqueeze(0)
    mag = mel_to_linear(log_mel.float(), config, nnls_iter=nnls_iter)
    if power != 1.0:
        mag = mag**power
    wav = griffin_lim(mag, config, n_iter=n_iter, momentum=momentum, generator=generator, init=init)
    wav = wav.clamp(-1.0, 1.0)
    return wav.squeeze(0) if squeeze else wav


def spectral_convergence(target_mag: torch.Tensor, wav: torch.Tensor, config: AudioConfig) -> torch.Tensor:
    """|| |S| - |STFT(wav)| ||_F / || |S| ||_F, per batch item."""
    est = stft(wav, config).abs()
    T = min(est.shape[-1], target_mag.shape[-1])
    diff = (target_mag[..., :T] - est[..., :T]).flatten(1).norm(dim=1)
    return diff / target_mag[..., :T].flatten(1).norm(dim=1).clamp(min=1e-12)

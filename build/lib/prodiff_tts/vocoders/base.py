"""The vocoder interface: natural-log mel [B, n_mels, T] -> waveform [B, T * hop] in [-1, 1].

Every vocoder in this package is an ``nn.Module`` subclass of :class:`Vocoder`; code that only *uses* a
vocoder may type against the structural :class:`VocoderLike` protocol instead (so an external vocoder
can be plugged in without inheriting from anything here).
"""

from __future__ import annotations

import math
from abc import ABCMeta, abstractmethod
from typing import Any, ClassVar, Protocol, Sequence, runtime_checkable

import torch
from torch import nn

from ..audio.config import AudioConfig

__all__ = ["Vocoder", "VocoderLike", "crossfade_weights"]


@runtime_checkable
class VocoderLike(Protocol):
    """What the synthesizer needs from a vocoder."""

    name: str

    @property
    def audio_config(self) -> AudioConfig: ...

    def __call__(self, log_mel: torch.Tensor) -> torch.Tensor: ...


class Vocoder(nn.Module, metaclass=ABCMeta):
    """Base class of the package's vocoders.

    Subclasses implement :meth:`generate` (raw, differentiable, used for training) and :meth:`config`
    (their constructor arguments, JSON-serialisable, used by ``save_vocoder``). Calling the module
    (``vocoder(log_mel)``) validates the input and clamps the output to [-1, 1]. Input: natural-log mel
    exactly as :class:`~prodiff_tts.audio.mel.MelSpectrogram` computes it, [B, n_mels, T] or [n_mels, T];
    output: float waveform [B, T * hop] (or [T * hop]) at ``audio_config.sample_rate``.
    """

    name: ClassVar[str] = "vocoder"

    def __init__(self, audio_config: AudioConfig | None = None) -> None:
        super().__init__()
        self._audio_config = audio_config if audio_config is not None else AudioConfig()

    # --- interface -------------------------------------------------------------------------------
    @property
    def audio_config(self) -> AudioConfig:
        return self._audio_config

    @property
    def hop_length(self) -> int:
        return self._audio_config.hop_length

    @property
    def sample_rate(self) -> int:
        return self._audio_config.sample_rate

    @abstractmethod
    def generate(self, log_mel: torch.Tensor) -> torch.Tensor:
        """[B, n_mels, T] -> [B, T * hop], not clamped (training path)."""

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """Constructor keyword arguments (JSON-serialisable; ``audio_config`` as a dict)."""

    def remove_weight_norm(self) -> None:
        """Fold weight normalisation into plain weights for inference/export (no-op by default)."""

    @property
    def has_weight_norm(self) -> bool:
        return False

    # --- inference -------------------------------------------------------------------------------
    def forward(self, log_mel: torch.Tensor) -> torch.Tensor:
        squeeze = log_mel.dim() == 2
        if squeeze:
            log_mel = log_mel.unsqueeze(0)
        if log_mel.dim() != 3 or log_mel.shape[1] != self._audio_config.n_mels:
            raise ValueError(
                f"{type(self).__name__} expects a log-mel [B, {self._audio_config.n_mels}, T], "
                f"got {tuple(log_mel.shape)}"
            )
        wav = self.generate(log_mel).clamp(-1.0, 1.0)
        return wav.squeeze(0) if squeeze else wav

    @torch.inference_mode()
    def infer_chunked(
        self,
        log_mel: torch.Tensor,
        chunk_frames: int = 256,
        overlap_frames: int = 32,
        fade_frames: int | None = None,
        fade: str = "linear",
        chunks_per_batch: int = 1,
    ) -> torch.Tensor:
        """Vocode a long mel in overlapping chunks of ``chunk_frames`` (memory and latency bounded).

        Consecutive chunks overlap by at least ``overlap_frames``; inside each overlap the two outputs are
        crossfaded over ``fade_frames`` (default ``overlap_frames // 2``) frames *centred* in the overlap,
        so every sample that is kept lies at least ``(overlap - fade) / 2`` frames away from a chunk edge,
        where zero padding of the convolutions makes a chunk differ from the whole-utterance output.
        ``fade="linear"`` (weights sum to one: right for the correlated signals two chunks produce) or
        ``"equal_power"`` (squared weights sum to one). All chunks have the same length (the last one is
        aligned to the end), and ``chunks_per_batch`` of them are vocoded together. For a deterministic
        convolutional vocoder the result equals :meth:`__call__` up to a small error near the seams.
        """
        squeeze = log_mel.dim() == 2
        if squeeze:
            log_mel = log_mel.unsqueeze(0)
        B, _, T = log_mel.shape
        if chunk_frames <= 0 or overlap_frames < 0 or 2 * overlap_frames > chunk_frames:
            raise ValueError(
                f"need 0 <= overlap_frames <= chunk_frames / 2, got {overlap_frames}, {chunk_frames}"
            )
        if T <= chunk_frames:
            wav = self(log_mel)
            return wav.squeeze(0) if squeeze else wav
        fade_frames = overlap_frames // 2 if fade_frames is None else fade_frames
        if not 0 <= fade_frames <= overlap_frames:
            raise ValueError(f"need 0 <= fade_frames <= overlap_frames, got {fade_frames}")
        stride = chunk_frames - overlap_frames
        starts = list(range(0, T - chunk_frames, stride)) + [T - chunk_frames]
        hop = self.hop_length
        out = torch.zeros(B, T * hop, device=log_mel.device, dtype=torch.float32)
        outputs: list[torch.Tensor] = []
        for i in range(0, len(starts), chunks_per_batch):
            group = starts[i : i + chunks_per_batch]
            batch = torch.cat([log_mel[..., s : s + chunk_frames] for s in group], dim=0)
            outputs.extend(self(batch).float().split(B, dim=0))
        for k, (s, wav) in enumerate(zip(starts, outputs)):
            w = torch.ones(chunk_frames * hop, device=log_mel.device)
            if k > 0:  # fade in across the overlap with the previous chunk
                a, b = _fade_region(starts[k - 1] + chunk_frames, s, fade_frames)
                w[: (a - s) * hop] = 0.0
                w[(a - s) * hop : (b - s) * hop] = crossfade_weights((b - a) * hop, fade, device=w.device)[1]
            if k < len(starts) - 1:  # fade out across the overlap with the next chunk
                a, b = _fade_region(s + chunk_frames, starts[k + 1], fade_frames)
                w[(a - s) * hop : (b - s) * hop] = crossfade_weights((b - a) * hop, fade, device=w.device)[0]
                w[(b - s) * hop :] = 0.0
            out[:, s * hop : (s + chunk_frames) * hop] += w * wav
        out = out.clamp(-1.0, 1.0)
        return out.squeeze(0) if squeeze else out

    @torch.inference_mode()
    def infer_batch(self, log_mels: Sequence[torch.Tensor]) -> list[torch.Tensor]:
        """Vocode mels of different lengths ([n_mels, T_i] each) in one padded batch.

        Padding is the log-mel floor (silence); each output is cut to ``T_i * hop`` samples.
        """
        if not log_mels:
            return []
        floor = math.log(self._audio_config.log_clamp)
        T = max(m.shape[-1] for m in log_mels)
        batch = torch.stack([nn.functional.pad(m, (0, T - m.shape[-1]), value=floor) for m in log_mels])
        wav = self(batch)
        return [wav[i, : m.shape[-1] * self.hop_length] for i, m in enumerate(log_mels)]


def _fade_region(prev_end: int, next_start: int, fade_frames: int) -> tuple[int, int]:
    """Frames [a, b) where two chunks are crossfaded: ``fade_frames`` centred in [next_start, prev_end)."""
    overlap = prev_end - next_start
    fade = min(fade_frames, overlap)
    a = next_start + (overlap - fade) // 2
    return a, a + fade


def crossfade_weights(n: int, kind: str = "linear", device: torch.device | str | None = None):
    """(fade_out, fade_in) weights of length ``n``; linear: sum to 1, equal_power: squares sum to 1."""
    r = (torch.arange(n, device=device, dtype=torch.float32) + 0.5) / max(n, 1)
    if kind == "linear":
        return 1.0 - r, r
    if kind == "equal_power":
        return torch.cos(0.5 * torch.pi * r), torch.sin(0.5 * torch.pi * r)
    raise ValueError(f"fade must be 'linear' or 'equal_power', got {kind!r}")

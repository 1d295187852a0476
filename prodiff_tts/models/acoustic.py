"""The ProDiff acoustic model: phoneme encoder, variance adaptor, aligner (training only) and x0 denoiser.

The encoder/variance side produces the frame-level condition once per utterance
(:meth:`AcousticModel.condition_train` / :meth:`AcousticModel.condition_infer` /
:meth:`AcousticModel.condition_teacher_forced`); the diffusion sampler then calls the denoiser bound to that
condition (:meth:`WaveNetDenoiser.bind`) once per step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Mapping, Sequence

import torch
from torch import Tensor, nn

from .aligner import Aligner, binarization_loss, forward_sum_loss, maximum_path
from .config import AcousticConfig
from .denoiser import WaveNetDenoiser
from .encoder import PhonemeEncoder, sequence_mask
from .variance import VarianceAdaptor, average_by_duration

__all__ = ["AcousticModel", "ConditionOutput", "masked_mse", "phoneme_targets"]


def masked_mse(pred: Tensor, target: Tensor, mask: Tensor) -> Tensor:
    """Mean squared error over the True entries of ``mask``."""
    m = mask.to(pred.dtype)
    return ((pred - target) ** 2 * m).sum() / m.sum().clamp(min=1.0)


def phoneme_targets(
    pitch: Tensor, energy: Tensor, voiced: Tensor, durations: Tensor
) -> tuple[Tensor, Tensor]:
    """Phoneme-level pitch and energy targets ``[B, N]`` from frame-level ``[B, T]`` features.

    Pitch: mean over the phoneme's voiced frames (FastPitch); a phoneme with no voiced frame takes the mean
    of the interpolated contour over its frames instead of 0, so the target stays smooth. Energy: mean over
    all its frames. Zero-duration phonemes get 0.
    """
    pitch_voiced = average_by_duration(pitch, durations, voiced)
    pitch_all = average_by_duration(pitch, durations)
    voiced_fraction = average_by_duration(voiced.to(pitch.dtype), durations)
    pitch_target = torch.where(voiced_fraction > 0, pitch_voiced, pitch_all)
    return pitch_target, average_by_duration(energy, durations)


@dataclass
class ConditionOutput:
    cond: Tensor  # [B, C, T] frame-level condition for the denoiser
    mask: Tensor  # [B, 1, T] float, 1 on valid frames
    losses: dict[str, Tensor]  # duration, pitch, energy, align_ctc, align_bin (unweighted)
    durations: Tensor  # [B, N] long, from MAS; sums to mel_lengths
    attn_soft: Tensor  # [B, T, N]
    attn_hard: Tensor  # [B, T, N]
    log_duration_pred: Tensor  # [B, N]
    pitch_pred: Tensor  # [B, N]
    pitch_target: Tensor  # [B, N]
    energy_pred: Tensor | None = None
    energy_target: Tensor | None = None


class AcousticModel(nn.Module):
    """``AcousticModel(config, n_symbols)``; phoneme id 0 is padding."""

    def __init__(self, config: AcousticConfig, n_symbols: int) -> None:
        super().__init__()
        self.config = config
        self.n_symbols = n_symbols
        hidden = config.encoder.hidden
        self.encoder = PhonemeEncoder(config.encoder, n_symbols)
        self.variance = VarianceAdaptor(config.variance, hidden)
        self.aligner = Aligner(config.aligner, hidden, config.n_mels)
        self.denoiser = WaveNetDenoiser(config.denoiser, config.n_mels, hidden)

    # ------------------------------------------------------------------------------------------ training
    def condition_train(self, batch: Mapping[str, Tensor]) -> ConditionOutput:
        """Teacher-forced condition for a training batch (see the package DESIGN for the batch keys).

        Durations come from MAS on the (detached) soft alignment; the pitch/energy embeddings see the
        phoneme-averaged ground truth; the condition has exactly ``mel.shape[-1]`` frames.
        """
        phonemes, text_lengths = batch["phonemes"], batch["phoneme_lengths"]
        mel, mel_lengths = batch["mel"], batch["mel_lengths"]
        t_max = mel.shape[-1]

        h, src_mask = self.encoder(phonemes, text_lengths)
        align = self.aligner(self.encoder.embed(phonemes), mel, text_lengths, mel_lengths)
        attn_hard = maximum_path(align.log_attn, text_lengths, mel_lengths)
        durations = attn_hard.sum(1).round().long()  # [B, N]

        pitch_target, energy_target = phoneme_targets(batch["pitch"], batch["energy"], batch["voiced"], durations)
        var = self.variance(
            h, src_mask, durations=durations, pitch=pitch_target, energy=energy_target, max_len=t_max
        )
        losses = {
            "duration": masked_mse(var.log_duration_pred, torch.log1p(durations.to(h.dtype)), src_mask),
            "pitch": masked_mse(var.pitch_pred, pitch_target, src_mask),
            "energy": (
                masked_mse(var.energy_pred, energy_target, src_mask)
                if var.energy_pred is not None
                else h.new_zeros(())
            ),
            "align_ctc": forward_sum_loss(
                align.attn_logprob, text_lengths, mel_lengths, self.config.aligner.blank_logprob
            ),
            "align_bin": binarization_loss(attn_hard, align.log_attn),
        }
        mask = sequence_mask(mel_lengths, t_max)[:, None, :].to(h.dtype)
        return ConditionOutput(
            cond=var.frames.transpose(1, 2) * mask,
            mask=mask,
            losses=losses,
            durations=durations,
            attn_soft=align.attn_soft,
            attn_hard=attn_hard,
            log_duration_pred=var.log_duration_pred,
            pitch_pred=var.pitch_pred,
            pitch_target=pitch_target,
            energy_pred=var.energy_pred,
            energy_target=energy_target if var.energy_pred is not None else None,
        )

    # ----------------------------------------------------------------------------------------- inference
    def condition_infer(
        self,
        phonemes: Tensor,
        phoneme_lengths: Tensor,
        speed: float | Sequence[float] = 1.0,
        durations: Tensor | None = None,
        pitch: Tensor | None = None,
        energy: Tensor | None = None,
        max_len: int | None = None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        """``(cond [B, C, T], mask [B, 1, T], durations [B, N], mel_lengths [B])`` from phonemes.

        Predicted durations (scaled by ``1 / speed``: one float, or a sequence of one per utterance) unless
        ``durations [B, N]`` are given (teacher forcing; ``speed`` is then ignored); predicted phoneme-level
        pitch/energy unless ``pitch`` / ``energy`` ``[B, N]`` are given (e.g. :func:`phoneme_targets` of the
        ground truth). ``T`` is the longest utterance, or ``max_len`` (e.g. a padded batch's
        ``mel.shape[-1]``; longer utterances are cut).
        """
        h, src_mask = self.encoder(phonemes, phoneme_lengths)
        var = self.variance(
            h, src_mask, durations=durations, pitch=pitch, energy=energy, speed=speed, max_len=max_len
        )
        t_max = var.frames.shape[1]
        mask = sequence_mask(var.mel_lengths, t_max)[:, None, :].to(h.dtype)
        return var.frames.transpose(1, 2) * mask, mask, var.durations, var.mel_lengths

    def condition_teacher_forced(
        self, batch: Mapping[str, Tensor], prosody: Literal["predicted", "recorded"] = "predicted"
    ) -> tuple[Tensor, Tensor]:
        """``(cond, mask)`` with the aligner's durations, so that frames line up with the recording
        (``mel.shape[-1]`` frames). ``prosody="predicted"``: the variance adaptor's own pitch and energy, as
        in free synthesis (what evaluation and distillation compare); ``"recorded"``: the recording's
        (the condition training sees; for vocoder fine-tuning mels that match the recorded audio)."""
        if prosody == "recorded":
            out = self.condition_train(batch)
            return out.cond, out.mask
        if prosody != "predicted":
            raise ValueError(f"prosody must be 'predicted' or 'recorded', got {prosody!r}")
        durations = self.condition_train(batch).durations
        cond, mask, _, _ = self.condition_infer(batch["phonemes"], batch["phoneme_lengths"], durations=durations,
                                                max_len=batch["mel"].shape[-1])
        return cond, mask

    def count_parameters(self) -> dict[str, int]:
        """Parameters per sub-module, the total, and ``inference`` (total without the training-only aligner)."""
        counts = {
            name: sum(p.numel() for p in module.parameters())
            for name, module in (
                ("encoder", self.encoder),
                ("variance", self.variance),
                ("aligner", self.aligner),
                ("denoiser", self.denoiser),
            )
        }
        counts["total"] = sum(p.numel() for p in self.parameters())
        counts["inference"] = counts["total"] - counts["aligner"]
        return counts

"""Unsupervised alignment learning (RAD-TTS / FastPitch "One TTS Alignment To Rule Them All").

A conv text encoder (keys) and mel encoder (queries) give a soft attention = softmax over phonemes of the
negative scaled squared L2 distance, multiplied (added in log space) by a static beta-binomial prior.
Training uses the CTC forward-sum loss on it; monotonic alignment search (MAS) turns it into a hard
alignment whose column sums are the phoneme durations; the binarization loss pulls the soft attention
towards the hard one.

Shapes: attention maps are ``[B, T, N]`` (frames x phonemes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import AlignerConfig
from .encoder import sequence_mask

__all__ = [
    "Aligner",
    "AlignerOutput",
    "beta_binomial_log_prior",
    "forward_sum_loss",
    "binarization_loss",
    "maximum_path",
    "maximum_path_numpy",
]

_NEG = -1e4  # "minus infinity" that stays finite (fp16-safe) in masked log-probabilities


def beta_binomial_log_prior(
    text_lengths: Tensor, mel_lengths: Tensor, n_max: int, t_max: int, scaling: float = 1.0
) -> Tensor:
    """Log of the static beta-binomial alignment prior ``[B, t_max, n_max]`` (0 outside the lengths).

    Frame ``t`` of ``T`` puts ``BetaBinomial(k = n; N - 1, a = scaling (t + 1), b = scaling (T - t))`` on
    phoneme ``n`` of ``N``: a band around the diagonal that is a normalised distribution over phonemes.
    """
    dev = text_lengths.device
    n_trials = (text_lengths.double() - 1)[:, None, None]  # [B, 1, 1]
    big_t = mel_lengths.double()[:, None, None]
    k = torch.arange(n_max, device=dev, dtype=torch.float64)[None, None, :]
    t = torch.arange(t_max, device=dev, dtype=torch.float64)[None, :, None]
    a = scaling * (t + 1)
    b = scaling * (big_t - t)
    valid = (k <= n_trials) & (b > 0)
    k = torch.minimum(k, n_trials.clamp(min=0))
    b = b.clamp(min=1e-3)

    def lbeta(x: Tensor, y: Tensor) -> Tensor:
        return torch.lgamma(x) + torch.lgamma(y) - torch.lgamma(x + y)

    log_choose = torch.lgamma(n_trials + 1) - torch.lgamma(k + 1) - torch.lgamma(n_trials - k + 1)
    logp = log_choose + lbeta(k + a, n_trials - k + b) - lbeta(a, b)
    return torch.where(valid, logp, torch.zeros_like(logp)).float()


@dataclass
class AlignerOutput:
    log_attn: Tensor  # [B, T, N] log soft attention (masked phonemes ~ -1e4); feed MAS and the binarization loss
    attn_soft: Tensor  # [B, T, N] soft attention, rows sum to 1 on valid frames, 0 elsewhere
    attn_logprob: Tensor  # [B, T, N] unnormalised log-scores for the forward-sum (CTC) loss


class Aligner(nn.Module):
    """Text embeddings ``[B, N, C]`` and mel ``[B, n_mels, T]`` -> soft alignment ``[B, T, N]``."""

    def __init__(self, config: AlignerConfig, text_channels: int, n_mels: int) -> None:
        super().__init__()
        self.config = config
        att = config.attention_channels
        self.key_proj = nn.Sequential(
            nn.Conv1d(text_channels, 2 * text_channels, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(2 * text_channels, att, 1),
        )
        self.query_proj = nn.Sequential(
            nn.Conv1d(n_mels, 2 * n_mels, 3, padding=1),
            nn.ReLU(),
            nn.Conv1d(2 * n_mels, n_mels, 1),
            nn.ReLU(),
            nn.Conv1d(n_mels, att, 1),
        )

    def forward(self, text_emb: Tensor, mel: Tensor, text_lengths: Tensor, mel_lengths: Tensor) -> AlignerOutput:
        b, n, _ = text_emb.shape
        t = mel.shape[-1]
        key_mask = sequence_mask(text_lengths, n)  # [B, N]
        frame_mask = sequence_mask(mel_lengths, t)  # [B, T]
        keys = self.key_proj((text_emb * key_mask[..., None]).transpose(1, 2)).transpose(1, 2)  # [B, N, A]
        queries = self.query_proj(mel * frame_mask[:, None, :]).transpose(1, 2)  # [B, T, A]
        # squared L2 distance via |q|^2 + |k|^2 - 2 q.k (no [B, A, T, N] intermediate)
        dist = (queries.pow(2).sum(-1, keepdim=True) + keys.pow(2).sum(-1)[:, None, :]).baddbmm(
            queries, keys.transpose(1, 2), alpha=-2.0
        )
        scores = -self.config.temperature * dist.clamp(min=0.0)
        scores = scores.masked_fill(~key_mask[:, None, :], _NEG)
        if self.config.use_prior:
            prior = beta_binomial_log_prior(text_lengths, mel_lengths, n, t, self.config.prior_scaling)
            scores = F.log_softmax(scores, dim=-1) + prior.to(scores.dtype)
            scores = scores.masked_fill(~key_mask[:, None, :], _NEG)
        log_attn = F.log_softmax(scores, dim=-1)
        attn_soft = log_attn.exp() * (frame_mask[..., None] & key_mask[:, None, :])
        return AlignerOutput(log_attn=log_attn, attn_soft=attn_soft, attn_logprob=scores)


def forward_sum_loss(
    attn_logprob: Tensor, text_lengths: Tensor, mel_lengths: Tensor, blank_logprob: float = -1.0
) -> Tensor:
    """CTC loss of the alignment (every phoneme visited in order), mean over the batch of per-phoneme losses.

    A blank class with logit ``blank_logprob`` is prepended (RAD-TTS). Utterances with fewer frames than
    phonemes cannot be aligned and contribute 0 (``zero_infinity``).
    """
    b, _, n = attn_logprob.shape
    key_mask = sequence_mask(text_lengths, n)
    lp = attn_logprob.float().masked_fill(~key_mask[:, None, :], _NEG)
    lp = F.log_softmax(F.pad(lp, (1, 0), value=blank_logprob), dim=-1)  # [B, T, N + 1]
    targets = torch.arange(1, n + 1, device=lp.device).expand(b, n)
    return F.ctc_loss(
        lp.transpose(0, 1), targets, mel_lengths, text_lengths, blank=0, reduction="mean", zero_infinity=True
    )


def binarization_loss(attn_hard: Tensor, log_attn: Tensor) -> Tensor:
    """``-mean log attn_soft`` over the hard path's (frame, phoneme) cells (FastPitch's bin loss)."""
    hard = attn_hard.to(log_attn.dtype)
    return -(log_attn * hard).sum() / hard.sum().clamp(min=1.0)


# ---------------------------------------------------------------------------------------------- MAS


def maximum_path_numpy(log_p: np.ndarray, text_lengths: np.ndarray, mel_lengths: np.ndarray) -> np.ndarray:
    """MAS on ``log_p [B, T, N]`` (log attention) -> hard 0/1 alignment ``[B, T, N]`` float32 (see
    :func:`~.monotonic_search.mas_single`)."""
    from .monotonic_search import mas_batch  # numba: training only, so synthesis does not import it
    log_p = np.ascontiguousarray(log_p, dtype=np.float32)
    if log_p.ndim != 3:
        raise ValueError(f"log_p must be [B, T, N], got shape {log_p.shape}")
    text_lengths = np.asarray(text_lengths, dtype=np.int64)
    mel_lengths = np.asarray(mel_lengths, dtype=np.int64)
    if (text_lengths > log_p.shape[2]).any() or (mel_lengths > log_p.shape[1]).any():
        raise ValueError("lengths exceed the attention map")
    return mas_batch(log_p, text_lengths, mel_lengths)


def maximum_path(log_attn: Tensor, text_lengths: Tensor, mel_lengths: Tensor) -> Tensor:
    """Torch wrapper of :func:`maximum_path_numpy` (runs on CPU, no gradient); result on ``log_attn``'s device.

    Durations are ``hard.sum(1)`` and sum to ``mel_lengths`` exactly.
    """
    hard = maximum_path_numpy(
        log_attn.detach().float().cpu().numpy(), text_lengths.cpu().numpy(), mel_lengths.cpu().numpy()
    )
    return torch.from_numpy(hard).to(device=log_attn.device, dtype=log_attn.dtype)

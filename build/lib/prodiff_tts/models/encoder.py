"""Phoneme encoder: token embedding + sinusoidal positions + FFT blocks (FastSpeech 2)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .config import EncoderConfig

__all__ = ["sequence_mask", "sinusoidal_positions", "MultiHeadSelfAttention", "FFTBlock", "PhonemeEncoder"]


def sequence_mask(lengths: Tensor, max_len: int | None = None) -> Tensor:
    """``[B]`` lengths -> ``[B, max_len]`` bool, True on valid positions."""
    max_len = int(lengths.max()) if max_len is None else max_len
    return torch.arange(max_len, device=lengths.device)[None, :] < lengths[:, None]


def sinusoidal_positions(length: int, dim: int, device: torch.device | None = None) -> Tensor:
    """Transformer positions ``[length, dim]`` (sin on the first half of the channels, cos on the second)."""
    half = dim // 2
    freq = torch.exp(-math.log(10000.0) * torch.arange(half, device=device, dtype=torch.float32) / max(half - 1, 1))
    pos = torch.arange(length, device=device, dtype=torch.float32)[:, None] * freq[None, :]
    out = torch.cat([pos.sin(), pos.cos()], dim=1)
    return F.pad(out, (0, dim - 2 * half))


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, hidden: int, n_heads: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.dropout = dropout

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        """``x [B, N, C]``, ``mask [B, N]`` (True = valid key)."""
        b, n, c = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, self.n_heads, c // self.n_heads).permute(2, 0, 3, 1, 4)
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask[:, None, None, :], dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(y.transpose(1, 2).reshape(b, n, c))


class FFTBlock(nn.Module):
    """Self-attention + conv FFN (conv k -> ReLU -> dropout -> conv 1), residual, pre- or post-LN."""

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        c = config
        self.pre_ln = c.pre_ln
        self.attn = MultiHeadSelfAttention(c.hidden, c.n_heads, c.attention_dropout)
        self.norm1 = nn.LayerNorm(c.hidden)
        self.norm2 = nn.LayerNorm(c.hidden)
        self.conv1 = nn.Conv1d(c.hidden, c.ffn_hidden, c.kernel_size, padding=c.kernel_size // 2)
        self.conv2 = nn.Conv1d(c.ffn_hidden, c.hidden, 1)
        self.dropout = nn.Dropout(c.dropout)

    def _ffn(self, x: Tensor, mask: Tensor) -> Tensor:
        y = self.conv1((x * mask[..., None]).transpose(1, 2))
        y = self.conv2(self.dropout(F.relu(y))).transpose(1, 2)
        return y

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        if self.pre_ln:
            x = x + self.dropout(self.attn(self.norm1(x), mask))
            x = x + self.dropout(self._ffn(self.norm2(x), mask))
        else:
            x = self.norm1(x + self.dropout(self.attn(x, mask)))
            x = self.norm2(x + self.dropout(self._ffn(x, mask)))
        return x * mask[..., None]


class PhonemeEncoder(nn.Module):
    """``phonemes [B, N]`` (pad id 0) -> ``h [B, N, hidden]`` (zero at padding)."""

    def __init__(self, config: EncoderConfig, n_symbols: int, padding_idx: int = 0) -> None:
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(n_symbols, config.hidden, padding_idx=padding_idx)
        nn.init.normal_(self.embedding.weight, 0.0, config.hidden**-0.5)
        with torch.no_grad():
            self.embedding.weight[padding_idx].zero_()
        self.scale = math.sqrt(config.hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.layers = nn.ModuleList([FFTBlock(config) for _ in range(config.n_layers)])
        self.final_norm = nn.LayerNorm(config.hidden) if config.pre_ln else nn.Identity()

    def embed(self, phonemes: Tensor) -> Tensor:
        """Scaled token embedding ``[B, N, hidden]`` without positions (also the aligner's text input)."""
        return self.embedding(phonemes) * self.scale

    def forward(self, phonemes: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor]:
        """Returns ``(h [B, N, hidden], mask [B, N] bool)``."""
        if bool((lengths < 1).any()):
            raise ValueError("every phoneme sequence needs at least one symbol")
        mask = sequence_mask(lengths, phonemes.shape[1])
        x = self.embed(phonemes) + sinusoidal_positions(phonemes.shape[1], self.config.hidden, phonemes.device)
        x = self.dropout(x) * mask[..., None]
        for layer in self.layers:
            x = layer(x, mask)
        return self.final_norm(x) * mask[..., None], mask

"""Reduced-precision inference: which precisions a voice can run in, whether this CPU computes bfloat16
natively, and a denoiser bound to a condition in its own weight dtype.

The sampler's state (``z_t``, the DDIM update) stays float32 whatever the denoiser's dtype: the update mixes
``x0_hat`` and ``z_t`` with coefficients near 1 and 0 at the ends of the schedule, where bfloat16's 8-bit
mantissa would lose the small term.
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor, nn

__all__ = ["PRECISIONS", "bind_in_dtype", "native_bf16"]

PRECISIONS = ("fp32", "bf16")


def native_bf16() -> bool:
    """True when this CPU has bfloat16 arithmetic (AVX-512 BF16 or AMX); without it torch emulates bfloat16
    and a bf16 denoiser runs many times slower than fp32 (17-28x on an AVX2-only EPYC, see docs/speed.md)."""
    probe = getattr(torch.cpu, "_is_avx512_bf16_supported", None)
    amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool((probe is not None and probe()) or (amx is not None and amx()))


def bind_in_dtype(denoiser: nn.Module, cond: Tensor, mask: Tensor | None,
                  layer_masks: Sequence | None) -> Callable[[Tensor, Tensor, int], Tensor]:
    """``denoiser.bind`` for a denoiser whose weights may be in another dtype than the condition: the condition
    is projected once in the weights' dtype, each step's input is cast to it and the prediction back to the
    sampler's dtype."""
    dtype = next(denoiser.parameters()).dtype
    if dtype == cond.dtype:
        return denoiser.bind(cond, mask, layer_masks)
    inner = denoiser.bind(cond.to(dtype), None if mask is None else mask.to(dtype), layer_masks)

    def denoise(z_t: Tensor, t: Tensor, step_index: int) -> Tensor:
        return inner(z_t.to(dtype), t, step_index).to(z_t.dtype)

    return denoise

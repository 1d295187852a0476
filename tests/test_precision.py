"""Reduced-precision inference: bf16 denoisers against fp32 on the same noise, and the bound denoiser's dtypes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from prodiff_tts.api import Synthesizer
from prodiff_tts.models.config import preset
from prodiff_tts.models.denoiser import WaveNetDenoiser
from prodiff_tts.precision import PRECISIONS, bind_in_dtype, native_bf16


def test_precisions_are_named():
    assert PRECISIONS == ("fp32", "bf16")
    assert isinstance(native_bf16(), bool)


def test_bind_in_dtype_keeps_the_sampler_dtype():
    cfg = preset("tiny")
    torch.manual_seed(0)
    den = WaveNetDenoiser(cfg.denoiser, cfg.n_mels, cfg.encoder.hidden).eval()
    torch.nn.init.normal_(den.output_projection.weight, std=0.1)  # zero-initialised: give it an output
    cond, z, t = torch.randn(2, cfg.encoder.hidden, 13), torch.randn(2, cfg.n_mels, 13), torch.full((2,), 0.7)
    with torch.no_grad():
        ref = bind_in_dtype(den, cond, None, None)(z, t, 0)
        half = bind_in_dtype(den.to(torch.bfloat16), cond, None, None)(z, t, 0)
    assert ref.dtype == half.dtype == torch.float32
    assert next(den.parameters()).dtype == torch.bfloat16
    err = (ref - half).abs().max().item()
    assert 0 < err < 0.05 * ref.abs().max().item()  # rounded, not broken


def test_bf16_synthesizer_matches_fp32(tiny_bundle):
    fp32 = Synthesizer(tiny_bundle, vocoder="griffin-lim")
    bf16 = Synthesizer(tiny_bundle, vocoder="griffin-lim", precision="bf16")
    assert all(next(d.parameters()).dtype == torch.bfloat16 for d in bf16.denoisers.values())
    assert next(bf16.model.encoder.parameters()).dtype == torch.float32  # the encoder stays fp32
    a = fp32.mel_batch(["a short test."], steps=4)[0]
    b = bf16.mel_batch(["a short test."], steps=4)[0]
    assert a.shape == b.shape and b.dtype == torch.float32
    assert (a - b).abs().mean().item() < 0.02 * a.std().item() + 1e-3
    wav, sr = bf16.synthesize("a short test.", steps=4)
    assert wav.dtype == np.float32 and np.isfinite(wav).all() and len(wav) > 0


def test_unknown_precision_is_refused(tiny_bundle):
    with pytest.raises(ValueError, match="precision must be one of fp32, bf16"):
        Synthesizer(tiny_bundle, precision="fp16")

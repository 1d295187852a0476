#!/usr/bin/env python
"""Probe: does a modulation-spectrum post-filter on the acoustic model's mels help end to end?

    python egs/joe_demo/local/ms_postfilter_probe.py K ITEMS   (run in egs/joe_demo, after `tts generate-mels`
        ../../pretrained/joe_demo data/prepared exp/gen_mels_k2 --steps 2 --schedule searched)

The gain is data-derived: per mel band, the mean modulation spectrum (64-frame Hann segments of each band's
trajectory) of the training recordings over that of the voice's teacher-forced 2-step mels (exp/gen_mels_k2).
K scales it in dB (0 = no filter). Every 2-step mel of `tts evaluate` is filtered (FFT over the whole
utterance, the gain interpolated in modulation frequency, each band's mean kept) before Griffin-Lim, and the
held-out rows are scored with Whisper as `tts evaluate` scores them. A probe, not part of the package.
"""

import json
import sys
from pathlib import Path

import numpy as np
import torch

L = 64
HOP_S = 256 / 22050
d = Path("data/prepared")
g = Path("exp/gen_mels_k2")


def ms(m):
    T = m.shape[1] // L * L
    if T == 0:
        return None
    seg = m[:, :T].reshape(80, -1, L)
    seg = seg - seg.mean(axis=2, keepdims=True)
    return (np.abs(np.fft.rfft(seg * np.hanning(L), axis=2)) ** 2).mean(axis=1)


N, G = [], []
for line in open(d / "manifest.jsonl"):
    r = json.loads(line)
    if r.get("split") != "train":
        continue
    p = g / f"{r['id']}.npy"
    if not p.exists():
        continue
    m = np.load(d / r["feature"])["mel"].astype(np.float32)
    x = np.load(p)
    T = min(m.shape[1], x.shape[1])
    a = ms(m[:, :T])
    if a is not None:
        N.append(a)
        G.append(ms(x[:, :T]))
gain_db = 10 * np.log10(np.mean(N, 0) / np.mean(G, 0))  # [80, L/2+1], natural over generated
gain_db[:, 0] = 0.0
mod_hz = np.fft.rfftfreq(L, HOP_S)
print("gain dB averaged over bands at", np.round(mod_hz[::4], 1), "Hz:", np.round(gain_db.mean(0)[::4], 2))
K = float(sys.argv[1])


def postfilter(log_mel: torch.Tensor) -> torch.Tensor:
    x = log_mel.detach().cpu().numpy().astype(np.float64)
    squeeze = x.ndim == 2
    if squeeze:
        x = x[None]
    out = np.empty_like(x)
    for b in range(x.shape[0]):
        m = x[b]
        T = m.shape[1]
        mu = m.mean(axis=1, keepdims=True)
        spec = np.fft.rfft(m - mu, axis=1)
        f = np.fft.rfftfreq(T, HOP_S)
        gains = np.stack([np.interp(f, mod_hz, gain_db[i]) for i in range(80)])
        out[b] = np.fft.irfft(spec * 10 ** (K * gains / 20), n=T, axis=1) + mu
    y = torch.from_numpy(out).to(log_mel.dtype)
    return y[0] if squeeze else y


from prodiff_tts.vocoders.griffin_lim import GriffinLimVocoder  # noqa: E402

orig = GriffinLimVocoder.generate
GriffinLimVocoder.generate = lambda self, log_mel: orig(self, postfilter(log_mel))
from prodiff_tts.bench.evaluate import evaluate_bundle  # noqa: E402

torch.set_num_threads(1)
rep = evaluate_bundle("../../pretrained/joe_demo", "data/prepared", items=int(sys.argv[2]), steps=[2],
                      schedules=["searched"], vocoders=["griffin-lim"], asr="whisper")
r = rep["results"][0]
print(f"K={K}", {k: r.get(k) for k in ("wer", "cer", "frechet_whisper", "gv_ratio", "ms_distance_db", "frechet_mel",
                                       "f0_rmse_hz", "vuv_error")})

"""Real-time factor of a vocoder alone: wall time / duration of the audio produced (median of repeats,
after warm-up), with the timing arithmetic of :mod:`prodiff_tts.bench.timing`.
``python -m prodiff_tts.vocoders.benchmark`` prints a table."""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from ..bench.timing import real_time_factor, sync_fn
from .base import Vocoder

__all__ = ["vocoder_rtf"]


@torch.inference_mode()
def vocoder_rtf(
    vocoder: Vocoder,
    seconds: float = 10.0,
    batch_size: int = 1,
    warmup: int = 1,
    repeats: int = 3,
    device: str | torch.device = "cpu",
    seed: int = 0,
) -> dict:
    """RTF of ``vocoder`` on a random log-mel of ``seconds`` (per batch item) on ``device``."""
    ac = vocoder.audio_config
    frames = max(1, round(seconds * ac.frames_per_second))
    g = torch.Generator().manual_seed(seed)
    mel = (torch.randn(batch_size, ac.n_mels, frames, generator=g) - 5.0).to(device)
    vocoder = vocoder.to(device).eval()
    sync = sync_fn(device)
    for _ in range(warmup):
        vocoder(mel)
    sync()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        vocoder(mel)
        sync()
        times.append(time.perf_counter() - t0)
    audio_s = batch_size * frames * ac.hop_length / ac.sample_rate
    med = statistics.median(times)
    return {
        "rtf": real_time_factor(med, audio_s),
        "wall_s": med,
        "audio_s": audio_s,
        "threads": torch.get_num_threads(),
        "device": str(device),
        "params": sum(p.numel() for p in vocoder.parameters()),
    }


def main(argv: list[str] | None = None) -> None:
    from .io import VOCODER_NAMES, build_vocoder

    ap = argparse.ArgumentParser(description="RTF of the vocoders with random weights")
    ap.add_argument("names", nargs="*", default=[n for n in VOCODER_NAMES if n not in ("hifigan", "griffin-lim")])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    for name in args.names:
        v = build_vocoder(name)
        v.remove_weight_norm()
        r = vocoder_rtf(v, seconds=args.seconds, repeats=args.repeats, device=args.device)
        print(
            f"{name:12s} params {r['params'] / 1e6:6.2f} M  RTF {r['rtf']:.4f}  "
            f"({r['wall_s']:.3f} s for {r['audio_s']:.1f} s audio, {r['threads']} threads, {r['device']})"
        )


if __name__ == "__main__":
    main()

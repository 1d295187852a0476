"""Timing arithmetic of the benchmarks, and the recorder a synthesis reports its stages to.

* :func:`real_time_factor`, :func:`summarize`, :func:`rtf_summary`, :func:`max_deviation_from_median`: what
  the reports compute from repeated wall times (no model, no torch).
* :func:`plan_macs_per_frame`, :func:`matmul_peak_gflops`: the denoiser's work per frame and the machine's
  float32 matmul throughput it is compared with.
* :class:`Recorder`: the ``stage_timer`` of :class:`prodiff_tts.api.Synthesizer` (see
  :data:`prodiff_tts.api.StageTimer`): seconds per stage of one call, passed to that call only, so nothing
  on the synthesizer is replaced; :func:`timed_synthesis` and :func:`time_to_first_audio` time the API's
  own calls with it.
"""

from __future__ import annotations

import platform
import statistics
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import torch

from ..speech import STAGES as SYNTHESIS_STAGES

STAGES = (*SYNTHESIS_STAGES, "other")  # the stages a synthesis reports; "other": the rest of the wall time

__all__ = [
    "STAGES",
    "real_time_factor",
    "summarize",
    "rtf_summary",
    "max_deviation_from_median",
    "plan_macs_per_frame",
    "matmul_peak_gflops",
    "sync_fn",
    "device_name",
    "Recorder",
    "timed_synthesis",
    "time_to_first_audio",
]


# --- arithmetic --------------------------------------------------------------------------------------------


def real_time_factor(wall_s: float, audio_s: float) -> float:
    """Synthesis wall time / duration of the audio produced (< 1 is faster than real time)."""
    if not audio_s > 0:
        raise ValueError(f"audio duration must be positive, got {audio_s}")
    if wall_s < 0:
        raise ValueError(f"wall time must be non-negative, got {wall_s}")
    return wall_s / audio_s


def summarize(values: Sequence[float]) -> dict[str, float]:
    """``{"median", "min", "max"}`` of repeated measurements."""
    if not values:
        raise ValueError("no measurements")
    return {"median": float(statistics.median(values)), "min": float(min(values)), "max": float(max(values))}


def rtf_summary(wall_times: Sequence[float], audio_s: float) -> dict[str, float]:
    """Median and min-max RTF of repeated runs that each produced ``audio_s`` seconds of audio."""
    return summarize([real_time_factor(w, audio_s) for w in wall_times])


def max_deviation_from_median(values: Sequence[float]) -> float:
    """Flatness of a series (e.g. RTF across text lengths): the largest ``|v / median - 1|``."""
    med = statistics.median(values)
    return max(abs(v / med - 1.0) for v in values)


def plan_macs_per_frame(denoiser, plan) -> int:
    """Multiply-adds per frame of a whole synthesis with ``plan``: one condition projection for all layers
    (as ``WaveNetDenoiser.bind`` does) plus each step's layers under its layer mask."""
    projection = denoiser.flops_per_frame() - denoiser.flops_per_frame(include_condition=False)
    masks = plan.layer_masks or [None] * len(plan.timesteps)
    return projection + sum(denoiser.flops_per_frame(m, include_condition=False) for m in masks)


def sync_fn(device) -> Callable[[], None]:
    """What makes a timer wait for the device's queued work: ``torch.cuda.synchronize`` on CUDA, else nothing."""
    return torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)


def matmul_peak_gflops(size: int = 1024, repeats: int = 10, device: str | torch.device = "cpu") -> float:
    """Best-of-``repeats`` float32 ``torch.mm`` throughput (GFLOP/s) with the current thread setting."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=g).to(device)
    b = torch.randn(size, size, generator=g).to(device)
    sync = sync_fn(device)
    for _ in range(2):
        torch.mm(a, b)
    sync()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        sync()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * size**3 / best / 1e9


def device_name(device: str) -> str:
    """The GPU's name for a CUDA device, else the CPU's model name (``/proc/cpuinfo``, else ``platform``)."""
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# --- the stage timer of a synthesis ------------------------------------------------------------------------


@dataclass
class Recorder:
    """What one synthesis did, as its ``stage_timer`` reported it: seconds and calls per stage, frames through
    the denoiser (padding included), frames of speech turned into audio."""

    sync: Callable[[], None] = lambda: None
    seconds: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    calls: dict[str, int] = field(default_factory=lambda: {s: 0 for s in SYNTHESIS_STAGES})
    denoiser_frames: int = 0
    speech_frames: int = 0

    @contextmanager
    def __call__(self, stage: str, frames: int = 0) -> Iterator[None]:
        if stage not in self.calls:
            raise ValueError(f"unknown synthesis stage {stage!r}")
        self.sync()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.sync()
            self.seconds[stage] += time.perf_counter() - t0
        self.calls[stage] += 1
        if stage == "denoiser":
            self.denoiser_frames += frames
        elif stage == "vocoder":
            self.speech_frames += frames

    def close(self, wall_s: float) -> None:
        """``other`` = the part of the wall time outside the stages."""
        self.seconds["other"] = max(0.0, wall_s - sum(v for k, v in self.seconds.items() if k != "other"))


def timed_synthesis(synth, text: str, steps: int, schedule: str, batch_size: int, seed: int = 0,
                    vocoder: bool = True, keep: list | None = None) -> tuple[float, Recorder]:
    """Wall time and stage record of one synthesis of ``text``: ``synth.synthesize`` (``vocoder=False``:
    ``synth.stream_mels``, the same calls up to the mel, which :meth:`synthesize` would vocode). ``keep``: a
    list the output is appended to (the waveform, or each sentence's mel), for the quality measures of
    the very output that was timed."""
    rec = Recorder(sync=sync_fn(synth.device))
    rec.sync()
    t0 = time.perf_counter()
    if vocoder:
        wav, _ = synth.synthesize(text, steps=steps, seed=seed, schedule=schedule, batch_size=batch_size,
                                  stage_timer=rec)
        if keep is not None:
            keep.append(wav)
    else:
        for mels in synth.stream_mels(text, steps=steps, seed=seed, schedule=schedule, batch_size=batch_size,
                                      stage_timer=rec):
            rec.speech_frames += sum(int(m.shape[-1]) for m in mels)
            if keep is not None:
                keep.extend(mels)
    rec.sync()
    wall = time.perf_counter() - t0
    rec.close(wall)
    return wall, rec


def time_to_first_audio(synth, text: str, steps: int, schedule: str, seed: int = 0) -> tuple[float, float]:
    """(seconds until ``synth.stream`` with batch size 1 yields the first sentence's waveform, its duration)."""
    sync = sync_fn(synth.device)
    sync()
    t0 = time.perf_counter()
    pieces = synth.stream(text, steps=steps, seed=seed, schedule=schedule, batch_size=1)
    first = next(pieces, None)
    seconds = time.perf_counter() - t0
    pieces.close()
    if first is None or len(first) == 0:
        raise RuntimeError("the synthesizer produced no audio")
    return seconds, len(first) / synth.audio.sample_rate

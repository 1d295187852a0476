"""Real-time factor benchmark of a voice bundle (``tts benchmark``).

Definitions
-----------
* **RTF** = synthesis wall time / duration of the audio produced (Matcha-TTS's definition). The audio
  duration is that of the synthesized speech (mel frames x hop / sample rate); the silences the API inserts
  between sentences cost nothing and are not counted.
* **acoustic** rows time ``Synthesizer.synthesize`` with the vocoder stage replaced by a no-op: text frontend
  (sentence split, speakability check, G2P) + encoder/variance adaptor + diffusion, ending at the mel.
  **end_to_end** rows time the same call with a real vocoder. Both run the API's own code path: the stages
  are timed by wrapping the synthesizer's frontend, ``condition_infer``, ``denoise_fn`` and ``vocode`` on the
  instance (:func:`instrumented`), not by a copy of the pipeline.
* Warm-up runs (``warmup`` per row) are excluded; each row reports the median and min-max of ``repeats``.
* **Denoiser FLOPs** (1 multiply-add = 2 FLOPs) from :meth:`WaveNetDenoiser.flops_per_frame`: the condition
  is projected once per utterance for all layers, then each step runs the layers its layer mask keeps
  (searched schedules may skip layers). ``flop_per_audio_s`` is that count per second of audio;
  ``gflops_achieved`` divides the FLOPs the denoiser executed in the row (padded frames of a batch included)
  by the time spent inside the denoiser calls alone; ``fraction_of_peak`` compares it with a float32
  ``torch.mm`` measured in the same run with the same threads.

JSON (``--json``), ``schema_version`` 1::

    {
      "schema_version": 1, "kind": "benchmark", "created": ISO-8601 str,
      "machine": {"device", "device_name", "torch", "python", "platform", "cpu_count", "threads",
                  "interop_threads", "load_avg_1m", "matmul_peak_gflops", "matmul_size", "peak_rss_mib",
                  "cuda_peak_mib" (null on CPU)},
      "model": {"bundle", "voice", "supported_steps", "parameters": {"encoder_variance": int,
                "denoisers": {name: int}, "vocoders": {name: int}}},
      "settings": {"steps", "vocoders", "batch_sizes", "repeats", "warmup", "seed", "texts": {words: n_sentences}},
      "plans": [{"steps", "schedule", "source", "denoiser", "timesteps", "layer_masks", "flop_per_frame",
                 "flop_per_audio_s"}],
      "results": [{"kind": "acoustic"|"end_to_end", "vocoder": str|null, "steps", "schedule", "source",
                   "denoiser", "batch_size", "words", "sentences", "audio_s",
                   "wall_s": {"median", "min", "max"}, "rtf": {"median", "min", "max"},
                   "stages_s": {"frontend", "encoder_variance", "denoiser", "vocoder", "other"} (medians),
                   "denoiser_flops": int, "gflops_achieved": float|null, "fraction_of_peak": float|null}],
      "time_to_first_audio": [{"vocoder", "steps", "schedule", "words", "first_sentence_audio_s",
                               "seconds": {"median", "min", "max"}}],
      "breakdown": [{"vocoder", "steps", "schedule", "words", "wall_s", "stages_s": {...}, "fractions": {...}}],
      "targets": [{"name", "threshold", "value": float|null, "status": "PASS"|"MISS"|"N/A", "detail"}],
      "notes": [str]
    }
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import resource
import statistics
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np
import torch

from .texts import BENCHMARK_TEXTS

SCHEMA_VERSION = 1
DEFAULT_STEPS = (1, 2, 4, 8)
STAGES = ("frontend", "encoder_variance", "denoiser", "vocoder", "other")
TARGETS_THREADS = 2

__all__ = [
    "SCHEMA_VERSION",
    "BenchmarkSettings",
    "real_time_factor",
    "summarize",
    "rtf_summary",
    "default_steps",
    "plan_macs_per_frame",
    "matmul_peak_gflops",
    "check_targets",
    "run_benchmark",
    "format_report",
    "write_report",
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


def default_steps(synth) -> list[int]:
    """Each of 1, 2, 4, 8 the bundle supports, plus the teacher's largest step count."""
    supported = set(synth.supported_steps)
    teacher = [k for e in synth.config.denoisers if not e.distilled for k in e.steps]
    return sorted({k for k in DEFAULT_STEPS if k in supported} | ({max(teacher)} if teacher else set()))


def plan_macs_per_frame(denoiser, plan) -> int:
    """Multiply-adds per frame of a whole synthesis with ``plan``: one condition projection for all layers
    (as ``AcousticModel.denoise_fn`` does) plus each step's layers under its layer mask."""
    projection = denoiser.flops_per_frame() - denoiser.flops_per_frame(include_condition=False)
    masks = plan.layer_masks or [None] * len(plan.timesteps)
    return projection + sum(denoiser.flops_per_frame(m, include_condition=False) for m in masks)


def _step_macs(denoiser, plan) -> tuple[int, list[int]]:
    projection = denoiser.flops_per_frame() - denoiser.flops_per_frame(include_condition=False)
    masks = plan.layer_masks or [None] * len(plan.timesteps)
    return projection, [denoiser.flops_per_frame(m, include_condition=False) for m in masks]


def matmul_peak_gflops(size: int = 1024, repeats: int = 10, device: str | torch.device = "cpu") -> float:
    """Best-of-``repeats`` float32 ``torch.mm`` throughput (GFLOP/s) with the current thread setting."""
    g = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=g).to(device)
    b = torch.randn(size, size, generator=g).to(device)
    sync = _sync_fn(device)
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


def _sync_fn(device) -> Callable[[], None]:
    return torch.cuda.synchronize if str(device).startswith("cuda") else (lambda: None)


# --- instrumentation of the real synthesis path ------------------------------------------------------------


@dataclass
class Recorder:
    """What one synthesis did: seconds per stage, frames through the denoiser, speech frames produced."""

    sync: Callable[[], None] = lambda: None
    stop_after_first_audio: bool = False
    seconds: dict[str, float] = field(default_factory=lambda: {s: 0.0 for s in STAGES})
    projection_frames: int = 0
    step_frames: list[tuple[int, int]] = field(default_factory=list)  # (step index, batch x frames) per call
    speech_frames: int = 0
    first_audio_at: float | None = None
    first_audio_frames: int = 0

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        self.sync()
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.sync()
            self.seconds[name] += time.perf_counter() - t0


class FirstAudioReady(Exception):
    """Raised by the instrumented vocoder to stop a synthesis once its first batch of audio is ready."""


class _TimedFrontend:
    def __init__(self, inner, rec: Recorder) -> None:
        self._inner, self._rec = inner, rec

    def __call__(self, text):
        with self._rec.stage("frontend"):
            return self._inner(text)

    def encode(self, text):
        with self._rec.stage("frontend"):
            return self._inner.encode(text)

    def __getattr__(self, name):
        return getattr(self._inner, name)


@contextmanager
def instrumented(synth, rec: Recorder, vocoder: bool = True) -> Iterator[Recorder]:
    """Wrap the stages of ``synth`` (on the instance, restored on exit) so that a call of
    ``synth.synthesize`` records into ``rec``. ``vocoder=False``: the vocoder stage becomes a no-op (acoustic
    model alone)."""
    model = synth.model
    orig_frontend, orig_vocode = synth.frontend, synth.vocode
    orig_condition, orig_denoise_fn = model.condition_infer, model.denoise_fn

    def condition_infer(*a, **kw):
        with rec.stage("encoder_variance"):
            return orig_condition(*a, **kw)

    def denoise_fn(cond, mask=None, layer_masks=None, denoiser=None):
        with rec.stage("denoiser"):
            fn = orig_denoise_fn(cond, mask, layer_masks=layer_masks, denoiser=denoiser)  # projects the condition
        rec.projection_frames += cond.shape[0] * cond.shape[-1]

        def denoise(z_t, t, step_index):
            with rec.stage("denoiser"):
                out = fn(z_t, t, step_index)
            rec.step_frames.append((step_index, z_t.shape[0] * z_t.shape[-1]))
            return out

        return denoise

    def vocode(mels):
        frames = sum(int(m.shape[-1]) for m in mels)
        rec.speech_frames += frames
        if vocoder:
            with rec.stage("vocoder"):
                wavs = orig_vocode(mels)
        else:
            wavs = [np.zeros(0, dtype=np.float32) for _ in mels]
        if rec.stop_after_first_audio:
            rec.first_audio_at = time.perf_counter()
            rec.first_audio_frames = frames
            raise FirstAudioReady
        return wavs

    synth.frontend = _TimedFrontend(orig_frontend, rec)
    synth.vocode = vocode
    model.condition_infer = condition_infer
    model.denoise_fn = denoise_fn
    try:
        yield rec
    finally:
        synth.frontend = orig_frontend
        del synth.vocode
        del model.condition_infer
        del model.denoise_fn


def timed_synthesis(synth, text: str, steps: int, schedule: str, batch_size: int, seed: int = 0,
                    vocoder: bool = True) -> tuple[float, Recorder]:
    """Wall time and stage record of one ``synth.synthesize`` call."""
    rec = Recorder(sync=_sync_fn(synth.device))
    with instrumented(synth, rec, vocoder=vocoder):
        rec.sync()
        t0 = time.perf_counter()
        synth.synthesize(text, steps=steps, seed=seed, schedule=schedule, batch_size=batch_size)
        rec.sync()
        wall = time.perf_counter() - t0
    rec.seconds["other"] = max(0.0, wall - sum(v for k, v in rec.seconds.items() if k != "other"))
    return wall, rec


def time_to_first_audio(synth, text: str, steps: int, schedule: str, seed: int = 0) -> tuple[float, float]:
    """(seconds until the first sentence's waveform is ready with batch size 1, its audio duration)."""
    rec = Recorder(sync=_sync_fn(synth.device), stop_after_first_audio=True)
    with instrumented(synth, rec, vocoder=True):
        t0 = time.perf_counter()
        try:
            synth.synthesize(text, steps=steps, seed=seed, schedule=schedule, batch_size=1)
        except FirstAudioReady:
            pass
    if rec.first_audio_at is None:
        raise RuntimeError("the synthesizer produced no audio")
    return rec.first_audio_at - t0, rec.first_audio_frames * synth.audio.hop_length / synth.audio.sample_rate


# --- the benchmark -----------------------------------------------------------------------------------------


@dataclass
class BenchmarkSettings:
    steps: Sequence[int] | None = None  # default: default_steps(synth)
    vocoders: Sequence[str] | None = None  # default: griffin-lim, and "bundle" when the voice has a vocoder
    batch_size: int = 8
    repeats: int = 3
    warmup: int = 1
    threads: int = 2
    max_words: int | None = None
    seed: int = 0
    device: str = "cpu"


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters()) if isinstance(module, torch.nn.Module) else 0


def _device_name(device: str) -> str:
    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_name(torch.device(device))
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run_benchmark(bundle, settings: BenchmarkSettings, progress: Callable[[str], None] | None = None) -> dict:
    """Runs the whole grid and returns the JSON-able report described in the module docstring."""
    from ..api import Synthesizer

    say = progress or (lambda msg: None)
    s = settings
    if s.repeats < 1 or s.batch_size < 1 or s.threads < 1 or s.warmup < 0:
        raise ValueError("repeats, batch size and threads must be >= 1, warm-up >= 0")
    torch.set_num_threads(s.threads)
    base = Synthesizer.from_pretrained(bundle, device=s.device)
    steps = sorted(set(s.steps)) if s.steps else default_steps(base)
    plans = {}
    for k in steps:  # validates every step count before any timing
        plans[(k, "uniform")] = base.plan(k, "uniform")
        searched = base.plan(k, "searched")
        if searched.source == "searched":
            plans[(k, "searched")] = searched
    vocoders = list(s.vocoders) if s.vocoders else ["griffin-lim"] + (["bundle"] if base.config.vocoder else [])
    if "bundle" in vocoders and not base.config.vocoder:
        raise ValueError(f"the voice {bundle} has no vocoder of its own; choose from the built-in vocoders")
    texts = {w: t for w, t in sorted(BENCHMARK_TEXTS.items()) if s.max_words is None or w <= s.max_words}
    if not texts:
        raise ValueError(f"--max-words {s.max_words} leaves no benchmark text (the shortest has "
                         f"{min(BENCHMARK_TEXTS)} words)")
    from ..text import split_sentences

    n_sentences = {w: len(split_sentences(t)) for w, t in texts.items()}
    batch_sizes = sorted({1, s.batch_size})
    notes = []
    if s.batch_size > 1:
        notes.append(f"batch {s.batch_size} rows only for texts of more than one sentence (identical otherwise)")

    say("measuring the matmul peak")
    peak = matmul_peak_gflops(device=s.device)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None

    plan_rows = []
    macs = {}
    for (k, sched), plan in plans.items():
        den = base.denoisers[plan.denoiser]
        macs[(k, sched)] = _step_macs(den, plan)
        per_frame = 2 * plan_macs_per_frame(den, plan)
        plan_rows.append({"steps": k, "schedule": sched, "source": plan.source, "denoiser": plan.denoiser,
                          "timesteps": list(plan.timesteps),
                          "layer_masks": [list(m) for m in plan.layer_masks] if plan.layer_masks else None,
                          "flop_per_frame": per_frame,
                          "flop_per_audio_s": per_frame * base.audio.frames_per_second})

    results: list[dict] = []
    ttfa: list[dict] = []
    vocoder_params: dict[str, int] = {}
    default_sched = {k: ("searched" if (k, "searched") in plans else "uniform") for k in steps}
    ttfa_steps = 2 if 2 in steps else steps[0]
    longest = max(texts)
    for voc in [None, *vocoders]:
        synth = base if voc is None else Synthesizer.from_pretrained(bundle, device=s.device, vocoder=voc,
                                                                     untrained_vocoder_ok=True)  # speed only
        if voc is not None:
            vocoder_params[voc] = _count(synth.vocoder)
        kind = "acoustic" if voc is None else "end_to_end"
        for (k, sched), plan in plans.items():
            for bs in batch_sizes:
                for words, text in texts.items():
                    if bs > 1 and n_sentences[words] <= 1:
                        continue
                    say(f"{kind} {voc or ''} {k} steps {sched} batch {bs} {words} words")
                    for _ in range(s.warmup):
                        timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None)
                    runs = [timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None)
                            for _ in range(s.repeats)]
                    results.append(_row(kind, voc, k, sched, plan, bs, words, n_sentences[words], runs, synth,
                                        macs[(k, sched)], peak))
        if voc is not None:
            say(f"time to first audio ({voc})")
            sched = default_sched[ttfa_steps]
            for _ in range(s.warmup):
                time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed)
            firsts = [time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed) for _ in range(s.repeats)]
            ttfa.append({"vocoder": voc, "steps": ttfa_steps, "schedule": sched, "words": longest,
                         "first_sentence_audio_s": firsts[0][1], "seconds": summarize([f[0] for f in firsts])})
        if synth is not base:
            del synth

    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    if sys.platform == "darwin":
        peak_rss /= 1024.0  # bytes on macOS
    cuda_peak = (torch.cuda.max_memory_allocated() / 2**20) if s.device.startswith("cuda") else None
    report = {
        "schema_version": SCHEMA_VERSION,
        "kind": "benchmark",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": {
            "device": s.device,
            "device_name": _device_name(s.device),
            "torch": torch.__version__,
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(),
            "load_avg_1m": load,
            "matmul_peak_gflops": peak,
            "matmul_size": 1024,
            "peak_rss_mib": peak_rss,
            "cuda_peak_mib": cuda_peak,
        },
        "model": {
            "bundle": str(bundle),
            "voice": base.config.voice,
            "supported_steps": base.supported_steps,
            "parameters": {
                "encoder_variance": _count(base.model.encoder) + _count(base.model.variance),
                "denoisers": {name: _count(d) for name, d in base.denoisers.items()},
                "vocoders": vocoder_params,
            },
        },
        "settings": {"steps": steps, "vocoders": vocoders, "batch_sizes": batch_sizes, "repeats": s.repeats,
                     "warmup": s.warmup, "seed": s.seed, "texts": {str(w): n for w, n in n_sentences.items()}},
        "plans": plan_rows,
        "results": results,
        "time_to_first_audio": ttfa,
        "breakdown": _breakdown(results, steps, default_sched, longest),
        "notes": notes,
    }
    report["targets"] = check_targets(report)
    return report


def _row(kind, voc, steps, sched, plan, bs, words, sentences, runs, synth, macs, peak) -> dict:
    walls = [w for w, _ in runs]
    rec0 = runs[0][1]
    audio_s = rec0.speech_frames * synth.audio.hop_length / synth.audio.sample_rate
    stages = {st: float(statistics.median(r.seconds[st] for _, r in runs)) for st in STAGES}
    projection, per_step = macs
    executed = 2 * (rec0.projection_frames * projection + sum(n * per_step[i] for i, n in rec0.step_frames))
    gflops = executed / stages["denoiser"] / 1e9 if stages["denoiser"] > 0 else None
    return {
        "kind": kind, "vocoder": voc, "steps": steps, "schedule": sched, "source": plan.source,
        "denoiser": plan.denoiser, "batch_size": bs, "words": words, "sentences": sentences, "audio_s": audio_s,
        "wall_s": summarize(walls), "rtf": rtf_summary(walls, audio_s), "stages_s": stages,
        "denoiser_flops": executed, "gflops_achieved": gflops,
        "fraction_of_peak": gflops / peak if gflops is not None and peak > 0 else None,
    }


def _find(results, **kw) -> dict | None:
    return next((r for r in results if all(r[k] == v for k, v in kw.items())), None)


def _breakdown(results, steps, default_sched, longest) -> list[dict]:
    k = 2 if 2 in steps else steps[0]
    out = []
    for r in results:
        if (r["kind"] == "end_to_end" and r["steps"] == k and r["schedule"] == default_sched[k]
                and r["batch_size"] == 1 and r["words"] == longest):
            wall = r["wall_s"]["median"]
            out.append({"vocoder": r["vocoder"], "steps": k, "schedule": r["schedule"], "words": longest,
                        "wall_s": wall, "stages_s": r["stages_s"],
                        "fractions": {st: v / wall if wall > 0 else 0.0 for st, v in r["stages_s"].items()}})
    return out


def check_targets(report: dict) -> list[dict]:
    """The speed targets (stated for 2 threads), judged on batch-1 rows of the longest text measured with the
    schedule synthesis uses by default (searched when the voice has one). Missing rows give ``N/A``."""
    results = report["results"]
    vocs = report["settings"]["vocoders"]
    e2e_voc = "bundle" if "bundle" in vocs else (vocs[0] if vocs else None)
    words = max((r["words"] for r in results), default=None)
    sched2 = "searched" if _find(results, steps=2, schedule="searched") else "uniform"
    threads = report["machine"]["threads"]
    caveat = "" if threads == TARGETS_THREADS else f"; targets are for {TARGETS_THREADS} threads, ran {threads}"
    out = []

    def add(name, threshold, value, detail, ok=None):
        status = "N/A" if value is None else ("PASS" if (ok if ok is not None else value <= threshold) else "MISS")
        out.append({"name": name, "threshold": threshold, "value": value, "status": status, "detail": detail + caveat})

    a2 = _find(results, kind="acoustic", steps=2, schedule=sched2, batch_size=1, words=words)
    add("2-step acoustic RTF", 0.01, a2["rtf"]["median"] if a2 else None,
        f"{words} words, batch 1, {sched2} schedule" if a2 else "no 2-step rows (the voice does not support 2 steps?)")
    e2 = _find(results, kind="end_to_end", vocoder=e2e_voc, steps=2, schedule=sched2, batch_size=1, words=words)
    add("2-step end-to-end RTF", 0.03, e2["rtf"]["median"] if e2 else None,
        f"{words} words, batch 1, {sched2} schedule, vocoder {e2e_voc}" if e2 else "no 2-step end-to-end rows")
    d2 = _find(results, kind="acoustic", steps=2, schedule="uniform", batch_size=1, words=words)
    d4 = _find(results, kind="acoustic", steps=4, schedule="uniform", batch_size=1, words=words)
    ratio = (d2["stages_s"]["denoiser"] / d4["stages_s"]["denoiser"]
             if d2 and d4 and d4["stages_s"]["denoiser"] > 0 else None)
    add("2-step / 4-step denoiser time", 0.55, ratio,
        f"uniform schedules, {words} words, batch 1" if ratio is not None else "needs 2- and 4-step rows")
    flat = [r for r in results if r["kind"] == "end_to_end" and r["vocoder"] == e2e_voc and r["steps"] == 2
            and r["schedule"] == sched2 and r["batch_size"] == 1]
    if len(flat) >= 2:
        med = statistics.median(r["rtf"]["median"] for r in flat)
        dev = max(abs(r["rtf"]["median"] / med - 1.0) for r in flat)
        lo, hi = min(r["words"] for r in flat), max(r["words"] for r in flat)
        add("RTF flat across text length (max deviation from the median)", 0.20, dev,
            f"2-step end-to-end ({e2e_voc}), {lo} to {hi} words, batch 1")
    else:
        add("RTF flat across text length (max deviation from the median)", 0.20, None,
            "needs 2-step end-to-end rows of two text lengths or more")
    return out


# --- text report -------------------------------------------------------------------------------------------


def _mmm(d: dict, fmt: str = ".3g") -> str:
    return f"{d['median']:{fmt}} ({d['min']:{fmt}}-{d['max']:{fmt}})"


def _params(n: int) -> str:
    return f"{n / 1e6:.2f} M" if n >= 1e5 else f"{n / 1e3:.1f} k" if n else "0"


def format_report(report: dict) -> str:
    m, model = report["machine"], report["model"]
    p = model["parameters"]
    lines = [
        f"prodiff-tts benchmark of {model['bundle']} (voice {model['voice']})",
        f"device {m['device']} ({m['device_name']}), torch {m['torch']}, {m['threads']} threads "
        f"({m['cpu_count']} cores, load average {m['load_avg_1m']:.2f} at start)" if m["load_avg_1m"] is not None
        else f"device {m['device']} ({m['device_name']}), torch {m['torch']}, {m['threads']} threads",
        "parameters: encoder+variance " + _params(p["encoder_variance"]) + "; "
        + "; ".join(f"denoiser {n} {_params(c)}" for n, c in p["denoisers"].items()) + "; "
        + "; ".join(f"vocoder {n} {_params(c)}" for n, c in p["vocoders"].items()),
        f"matmul peak ({m['matmul_size']}x{m['matmul_size']} float32): {m['matmul_peak_gflops']:.1f} GFLOP/s; "
        f"peak memory (max RSS) {m['peak_rss_mib']:.0f} MiB"
        + (f"; CUDA peak {m['cuda_peak_mib']:.0f} MiB" if m.get("cuda_peak_mib") is not None else ""),
        "",
    ]
    res = report["results"]
    words = sorted({r["words"] for r in res})
    lines.append(f"RTF, median (min-max) of {report['settings']['repeats']} runs after warm-up; "
                 "audio = synthesized speech, pauses between sentences excluded")
    lines.append("| model | steps | schedule | batch | " + " | ".join(f"{w} words" for w in words) + " |")
    lines.append("|---" * (4 + len(words)) + "|")
    keys = []
    for r in res:
        key = (r["kind"], r["vocoder"], r["steps"], r["schedule"], r["batch_size"])
        if key not in keys:
            keys.append(key)
    for kind, voc, k, sched, bs in keys:
        cells = []
        for w in words:
            r = _find(res, kind=kind, vocoder=voc, steps=k, schedule=sched, batch_size=bs, words=w)
            cells.append(_mmm(r["rtf"]) if r else "")
        name = "acoustic" if kind == "acoustic" else f"end-to-end, {voc}"
        lines.append(f"| {name} | {k} | {sched} | {bs} | " + " | ".join(cells) + " |")

    longest = max(words)
    lines += ["", f"denoiser ({longest}-word text, batch 1; FLOPs = 2 x multiply-adds; achieved = executed FLOPs / "
              "time inside the denoiser calls)",
              "| denoiser | steps | schedule | GFLOP per audio s | denoiser s | achieved GFLOP/s | of matmul peak |",
              "|---|---|---|---|---|---|---|"]
    for pr in report["plans"]:
        r = _find(res, kind="acoustic", steps=pr["steps"], schedule=pr["schedule"], batch_size=1, words=longest)
        if r is None:
            continue
        g = r["gflops_achieved"]
        achieved = f"{g:.2f} | {100 * r['fraction_of_peak']:.1f}%" if g is not None else "n/a | n/a"
        lines.append(f"| {pr['denoiser']} | {pr['steps']} | {pr['schedule']} ({pr['source']}) | "
                     f"{pr['flop_per_audio_s'] / 1e9:.3g} | {r['stages_s']['denoiser']:.4f} | {achieved} |")
    if report["breakdown"]:
        b0 = report["breakdown"][0]
        lines += ["", f"where the time goes: end-to-end, {b0['steps']} steps ({b0['schedule']}), {b0['words']} words, "
                  "batch 1 (seconds, share of the wall time)",
                  "| vocoder | frontend | encoder/variance | denoiser | vocoder | other | total |",
                  "|---|---|---|---|---|---|---|"]
        for b in report["breakdown"]:
            cells = [f"{b['stages_s'][st]:.4f} ({100 * b['fractions'][st]:.0f}%)" for st in STAGES]
            lines.append(f"| {b['vocoder']} | " + " | ".join(cells) + f" | {b['wall_s']:.4f} |")
    for t in report["time_to_first_audio"]:
        lines.append(f"\ntime to first audio ({t['vocoder']}, {t['steps']} steps, batch 1, first sentence of the "
                     f"{t['words']}-word text = {t['first_sentence_audio_s']:.2f} s of audio): "
                     f"{_mmm(t['seconds'], '.4f')} s")
    lines.append("")
    for t in report["targets"]:
        v = "n/a" if t["value"] is None else f"{t['value']:.4g}"
        lines.append(f"{t['status']:4s} {t['name']} <= {t['threshold']}: {v} ({t['detail']})")
    for n in report["notes"]:
        lines.append(f"note: {n}")
    return "\n".join(lines)


def _finite(obj):
    """NaN/inf -> None, recursively: the JSON reports are strict JSON."""
    if isinstance(obj, float):
        return obj if np.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if isinstance(obj, np.generic):
        return _finite(obj.item())
    return obj


def write_report(path, report: dict) -> None:
    """Strict JSON (NaN -> null), written atomically."""
    import json
    from pathlib import Path

    from ..fileio import atomic_write

    text = json.dumps(_finite(report), indent=1, allow_nan=False) + "\n"
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

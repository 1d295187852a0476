"""Real-time factor benchmark of a voice bundle (``tts benchmark``).

Definitions
-----------
* **RTF** = synthesis wall time / duration of the audio produced (Matcha-TTS's definition). The audio
  duration is that of the synthesized speech (mel frames x hop / sample rate); the silences the API inserts
  between sentences cost nothing and are not counted.
* **acoustic** rows time ``Synthesizer.stream_mels`` (the calls ``synthesize`` makes up to the mel: text
  frontend (sentence split, speakability check, G2P) + encoder/variance adaptor + diffusion), **end_to_end**
  rows ``Synthesizer.synthesize`` with a real vocoder. Both run the API's own code path: the stages are timed
  by the synthesizer itself, through the ``stage_timer`` hook each call is given (a
  :class:`~prodiff_tts.bench.timing.Recorder`; see :data:`prodiff_tts.api.StageTimer`); nothing on the
  synthesizer is replaced, and the pipeline is not copied.
* Warm-up runs (``warmup`` per row) are excluded; each row reports the median and min-max of ``repeats``.
* **Denoiser FLOPs** (1 multiply-add = 2 FLOPs) from :meth:`WaveNetDenoiser.flops_per_frame`: the condition
  is projected once per utterance for all layers, then each step runs the layers its layer mask keeps
  (searched schedules may skip layers). ``flop_per_audio_s`` is that count per second of audio;
  ``gflops_achieved`` divides the FLOPs the denoiser executed in the row (padded frames of a batch included)
  by the time of the diffusion sampling (the denoiser calls and the DDIM updates between them, a few
  elementwise operations); ``fraction_of_peak`` compares it with a float32 ``torch.mm`` measured in the same
  run with the same threads.
* The targets (:data:`prodiff_tts.bench.report.TARGETS`) are judged by
  :func:`~prodiff_tts.bench.report.check_targets`; :func:`~prodiff_tts.bench.report.format_report` prints
  the report as tables.

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
from dataclasses import dataclass
from typing import Callable, Sequence

import torch

from .report import check_targets
from .texts import BENCHMARK_TEXTS
from .timing import (
    STAGES,
    device_name,
    matmul_peak_gflops,
    plan_macs_per_frame,
    rtf_summary,
    summarize,
    time_to_first_audio,
    timed_synthesis,
)


SCHEMA_VERSION = 1
DEFAULT_STEPS = (1, 2, 4, 8)

__all__ = ["SCHEMA_VERSION", "DEFAULT_STEPS", "BenchmarkSettings", "default_steps", "run_benchmark"]


def default_steps(synth) -> list[int]:
    """Each of 1, 2, 4, 8 the bundle supports, plus the teacher's largest step count."""
    supported = set(synth.supported_steps)
    teacher = [k for e in synth.config.denoisers if not e.distilled for k in e.steps]
    return sorted({k for k in DEFAULT_STEPS if k in supported} | ({max(teacher)} if teacher else set()))


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
        macs[(k, sched)] = plan_macs_per_frame(base.denoisers[plan.denoiser], plan)
        per_frame = 2 * macs[(k, sched)]
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
            "device_name": device_name(s.device),
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
    executed = 2 * rec0.denoiser_frames * macs  # each denoised frame: one projection and every step
    gflops = executed / stages["denoiser"] / 1e9 if stages["denoiser"] > 0 else None
    return {
        "kind": kind, "vocoder": voc, "steps": steps, "schedule": sched, "source": plan.source,
        "denoiser": plan.denoiser, "batch_size": bs, "words": words, "sentences": sentences, "audio_s": audio_s,
        "wall_s": summarize(walls), "rtf": rtf_summary(walls, audio_s), "stages_s": stages,
        "denoiser_flops": executed, "gflops_achieved": gflops,
        "fraction_of_peak": gflops / peak if gflops is not None and peak > 0 else None,
    }


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

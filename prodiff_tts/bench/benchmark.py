"""Real-time factor benchmark of a voice bundle, or of a model preset with random weights (``tts benchmark``).

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
* **Backends and precisions** are axes of the grid: every row, time-to-first-audio, breakdown and target
  carries its ``backend`` ("torch": :class:`~prodiff_tts.api.Synthesizer`) and ``precision`` ("fp32", "bf16":
  the synthesizer's ``precision``). bf16 pays only where the CPU computes bfloat16 natively
  (``machine.native_bf16``); elsewhere torch emulates it and its rows show the cost of the emulation.
* **Quality next to speed** (``quality``, :mod:`prodiff_tts.bench.precision_quality`): the batch-1 acoustic
  output of every other (backend, precision) against torch fp32's on the same texts, seeds and noise
  (frame-aligned mel L1, GV ratio, modulation-spectrum distance), and with ``asr`` the recognizer's WER/CER of
  every precision's end-to-end audio (batch 1) against the text. The outputs scored are those of the first
  timed repeat. Without fp32 in ``precisions`` the reference mels are synthesized untimed.
* **Presets** (``source`` a :class:`~prodiff_tts.bench.random_voice.RandomVoice`): the acoustic model at a
  preset with seeded random weights, written as a temporary bundle, with fixed frames per phoneme instead of
  the duration predictor (``Synthesizer(frames_per_phoneme=...)``) and uniform step plans; the default
  vocoders are Griffin-Lim and an untrained iSTFT (speed only). ``model.preset`` has its parameter counts.
* Warm-up runs (``warmup`` per row) are excluded; each row reports the median and min-max of ``repeats``.
* **Denoiser FLOPs** (1 multiply-add = 2 FLOPs) from :meth:`WaveNetDenoiser.flops_per_frame`: the condition
  is projected once per utterance for all layers, then each step runs the layers its layer mask keeps
  (searched schedules may skip layers). ``flop_per_audio_s`` is that count per second of audio;
  ``gflops_achieved`` divides the FLOPs the denoiser executed in the row (padded frames of a batch included)
  by the time of the diffusion sampling (the denoiser calls and the DDIM updates between them, a few
  elementwise operations); ``fraction_of_peak`` compares it with a float32 ``torch.mm`` measured in the same
  run with the same threads, in every precision (a bf16 row above 1 would beat float32's peak).
* The targets (:data:`prodiff_tts.bench.report.TARGETS`) are judged for each (backend, precision) by
  :func:`~prodiff_tts.bench.report.check_targets`; :func:`~prodiff_tts.bench.report.format_report` prints
  the report as tables.

JSON (``--json``), ``schema_version`` 2 (1 had no backend/precision fields, no ``quality``, no ``preset``)::

    {
      "schema_version": 2, "kind": "benchmark", "created": ISO-8601 str,
      "machine": {"device", "device_name", "torch", "python", "platform", "cpu_count", "threads",
                  "interop_threads", "load_avg_1m", "matmul_peak_gflops", "matmul_size", "native_bf16",
                  "peak_rss_mib", "cuda_peak_mib" (null on CPU)},
      "model": {"bundle" (null for a preset), "voice", "supported_steps",
                "preset": {"name", "seed", "frames_per_phoneme", "parameters": {"encoder", "variance", "aligner",
                           "denoiser", "total", "inference"}} | null,
                "parameters": {"encoder_variance": int, "denoisers": {name: int}, "vocoders": {name: int}}},
      "settings": {"steps", "vocoders", "backends", "precisions", "batch_sizes", "repeats", "warmup", "seed",
                   "frames_per_phoneme" (null: predicted durations), "asr" (null: no recognizer),
                   "texts": {words: n_sentences}},
      "plans": [{"steps", "schedule", "source", "denoiser", "timesteps", "layer_masks", "flop_per_frame",
                 "flop_per_audio_s"}],
      "results": [{"backend", "precision", "kind": "acoustic"|"end_to_end", "vocoder": str|null, "steps",
                   "schedule", "source", "denoiser", "batch_size", "words", "sentences", "audio_s",
                   "wall_s": {"median", "min", "max"}, "rtf": {"median", "min", "max"},
                   "stages_s": {"frontend", "encoder_variance", "denoiser", "vocoder", "other"} (medians),
                   "denoiser_flops": int, "gflops_achieved": float|null, "fraction_of_peak": float|null}],
      "time_to_first_audio": [{"backend", "precision", "vocoder", "steps", "schedule", "words",
                               "first_sentence_audio_s", "seconds": {"median", "min", "max"}}],
      "breakdown": [{"backend", "precision", "vocoder", "steps", "schedule", "words", "wall_s", "stages_s": {...},
                     "fractions": {...}}],
      "quality": {"reference": {"backend", "precision"}, "asr": {"engine", "version"} | null,
                  "results": [{"backend", "precision", "steps", "schedule", "texts": [words], "sentences",
                               "frames", "misaligned", "mel_l1", "mel_l1_max", "gv_ratio", "ms_distance_db"
                               (null on the reference row), "wer": {vocoder: float} | null,
                               "cer": {vocoder: float} | null}]},
      "targets": [{"backend", "precision", "name", "threshold", "value": float|null,
                   "status": "PASS"|"MISS"|"N/A", "detail"}],
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
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import torch

from .precision_quality import quality_section
from .random_voice import RandomVoice, write_random_voice
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


SCHEMA_VERSION = 2
DEFAULT_STEPS = (1, 2, 4, 8)
REFERENCE = ("torch", "fp32")  # (backend, precision) the quality of the others is measured against
PRESET_VOCODERS = ("griffin-lim", "istft")

__all__ = ["SCHEMA_VERSION", "DEFAULT_STEPS", "REFERENCE", "BenchmarkSettings", "RandomVoice", "default_steps",
           "run_benchmark"]


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
    precisions: Sequence[str] = ("fp32",)
    asr: str | None = None  # a recognizer (prodiff_tts.bench.asr) for the WER of each precision's audio
    asr_model: str | None = None


@dataclass
class _Grid:
    """What every (backend, precision) is measured on, and what its measurements are collected into."""

    settings: BenchmarkSettings
    plans: dict
    macs: dict
    texts: dict[int, str]
    n_sentences: dict[int, int]
    batch_sizes: list[int]
    vocoders: list[str]
    peak: float
    keep_mels: bool
    keep_wavs: bool
    results: list[dict] = field(default_factory=list)
    ttfa: list[dict] = field(default_factory=list)
    vocoder_params: dict[str, int] = field(default_factory=dict)
    mels: dict = field(default_factory=dict)  # (backend, precision, steps, schedule) -> {words: [mel]}
    wavs: dict = field(default_factory=dict)  # (backend, precision, vocoder, steps, schedule) -> {words: wav}


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters()) if isinstance(module, torch.nn.Module) else 0


def run_benchmark(source: str | Path | RandomVoice, settings: BenchmarkSettings,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Runs the whole grid on a voice bundle (``source`` a path) or on a model preset with random weights
    (a :class:`RandomVoice`, written to a temporary bundle and removed after) and returns the JSON-able
    report described in the module docstring."""
    if not isinstance(source, RandomVoice):
        return _run(Path(source), settings, progress or (lambda msg: None))
    with tempfile.TemporaryDirectory(prefix="tts-bench-random-") as tmp:
        counts = write_random_voice(tmp, source, sorted(set(settings.steps or DEFAULT_STEPS)))
        report = _run(Path(tmp), settings, progress or (lambda msg: None), source)
    report["model"]["bundle"] = None
    report["model"]["preset"] = {"name": source.preset, "seed": source.seed,
                                 "frames_per_phoneme": source.frames_per_phoneme, "parameters": counts}
    report["notes"].append(f"random weights at preset {source.preset} (seed {source.seed}), "
                           f"{source.frames_per_phoneme} frames per phoneme: the speech is noise, the time that of "
                           "a trained model of this size")
    return report


def _run(bundle: Path, s: BenchmarkSettings, say: Callable[[str], None], preset: RandomVoice | None = None) -> dict:
    from ..api import Synthesizer
    from ..precision import PRECISIONS, native_bf16
    from ..text import split_sentences

    if s.repeats < 1 or s.batch_size < 1 or s.threads < 1 or s.warmup < 0:
        raise ValueError("repeats, batch size and threads must be >= 1, warm-up >= 0")
    precisions = list(dict.fromkeys(s.precisions))
    bad = [p for p in precisions if p not in PRECISIONS]
    if bad or not precisions:
        raise ValueError(f"unknown precision {bad[0] if bad else None!r}; choose from {', '.join(PRECISIONS)}")
    torch.set_num_threads(s.threads)
    fpp = preset.frames_per_phoneme if preset else None
    base = Synthesizer.from_pretrained(bundle, device=s.device, frames_per_phoneme=fpp)
    steps = sorted(set(s.steps)) if s.steps else default_steps(base)
    plans = {}
    for k in steps:  # validates every step count before any timing
        plans[(k, "uniform")] = base.plan(k, "uniform")
        searched = base.plan(k, "searched")
        if searched.source == "searched":
            plans[(k, "searched")] = searched
    default_vocs = list(PRESET_VOCODERS) if preset else ["griffin-lim"] + (["bundle"] if base.config.vocoder else [])
    vocoders = list(s.vocoders) if s.vocoders else default_vocs
    if "bundle" in vocoders and not base.config.vocoder:
        raise ValueError(f"the voice {'of a preset' if preset else bundle} has no vocoder of its own; choose from "
                         "the built-in vocoders")
    texts = {w: t for w, t in sorted(BENCHMARK_TEXTS.items()) if s.max_words is None or w <= s.max_words}
    if not texts:
        raise ValueError(f"--max-words {s.max_words} leaves no benchmark text (the shortest has "
                         f"{min(BENCHMARK_TEXTS)} words)")
    recognizer = None
    if s.asr:
        from .asr import make_recognizer

        recognizer = make_recognizer(s.asr, s.asr_model, threads=s.threads)  # one line if missing, before timing
    n_sentences = {w: len(split_sentences(t)) for w, t in texts.items()}
    batch_sizes = sorted({1, s.batch_size})
    notes = []
    if s.batch_size > 1:
        notes.append(f"batch {s.batch_size} rows only for texts of more than one sentence (identical otherwise)")
    native = native_bf16()
    if "bf16" in precisions and not native and not s.device.startswith("cuda"):
        notes.append("this CPU has no native bfloat16 (AVX-512 BF16 or AMX): torch emulates it, the bf16 rows "
                     "measure that emulation")

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

    grid = _Grid(s, plans, macs, texts, n_sentences, batch_sizes, vocoders, peak,
                 keep_mels=recognizer is not None or any(p != REFERENCE[1] for p in precisions),
                 keep_wavs=recognizer is not None)
    default_sched = {k: ("searched" if (k, "searched") in plans else "uniform") for k in steps}

    def make(precision: str, vocoder: str | None):
        if vocoder is None and precision == "fp32":
            return base
        return Synthesizer.from_pretrained(bundle, device=s.device, vocoder=vocoder, untrained_vocoder_ok=True,
                                           precision=precision, frames_per_phoneme=fpp)  # speed only

    for precision in precisions:  # the torch backend; another backend adds its rows to the same grid
        _measure_torch(grid, precision, make, default_sched, say)
    if any(p != REFERENCE[1] for p in precisions) and REFERENCE[1] not in precisions:
        say("fp32 reference mels (untimed)")
        _reference_mels(grid, base)
        notes.append("the fp32 reference of the quality measures was synthesized untimed (fp32 not benchmarked)")
    say("quality of each precision against fp32")
    quality = quality_section(grid.mels, grid.wavs, texts, REFERENCE, recognizer, base.audio.sample_rate)
    if not quality["results"]:
        notes.append("quality: only fp32 measured; add --precision bf16 to compare, --asr whisper for the WER")

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
            "native_bf16": native,
            "peak_rss_mib": peak_rss,
            "cuda_peak_mib": cuda_peak,
        },
        "model": {
            "bundle": str(bundle),
            "voice": base.config.voice,
            "supported_steps": base.supported_steps,
            "preset": None,
            "parameters": {
                "encoder_variance": _count(base.model.encoder) + _count(base.model.variance),
                "denoisers": {name: _count(d) for name, d in base.denoisers.items()},
                "vocoders": grid.vocoder_params,
            },
        },
        "settings": {"steps": steps, "vocoders": vocoders, "backends": [REFERENCE[0]], "precisions": precisions,
                     "batch_sizes": batch_sizes, "repeats": s.repeats, "warmup": s.warmup, "seed": s.seed,
                     "frames_per_phoneme": fpp, "asr": s.asr,
                     "texts": {str(w): n for w, n in n_sentences.items()}},
        "plans": plan_rows,
        "results": grid.results,
        "time_to_first_audio": grid.ttfa,
        "breakdown": _breakdown(grid.results, steps, default_sched, max(texts)),
        "quality": quality,
        "notes": notes,
    }
    report["targets"] = check_targets(report)
    return report


def _measure_torch(grid: _Grid, precision: str, make, default_sched: dict, say: Callable[[str], None]) -> None:
    """The rows of the torch backend at one precision: acoustic, then end to end with each vocoder."""
    s, texts = grid.settings, grid.texts
    steps = sorted({k for k, _ in grid.plans})
    ttfa_steps = 2 if 2 in steps else steps[0]
    longest = max(texts)
    for voc in [None, *grid.vocoders]:
        synth = make(precision, voc)
        if voc is not None:
            grid.vocoder_params.setdefault(voc, _count(synth.vocoder))
        kind = "acoustic" if voc is None else "end_to_end"
        for (k, sched), plan in grid.plans.items():
            for bs in grid.batch_sizes:
                for words, text in texts.items():
                    if bs > 1 and grid.n_sentences[words] <= 1:
                        continue
                    say(f"torch {precision} {kind} {voc or ''} {k} steps {sched} batch {bs} {words} words")
                    for _ in range(s.warmup):
                        timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None)
                    keep = [] if bs == 1 and (grid.keep_mels if voc is None else grid.keep_wavs) else None
                    runs = [timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None,
                                            keep=keep if i == 0 else None) for i in range(s.repeats)]
                    if keep is not None and voc is None:
                        grid.mels.setdefault(("torch", precision, k, sched), {})[words] = keep
                    elif keep is not None:
                        grid.wavs.setdefault(("torch", precision, voc, k, sched), {})[words] = keep[0]
                    grid.results.append(_row("torch", precision, kind, voc, k, sched, plan, bs, words,
                                             grid.n_sentences[words], runs, synth, grid.macs[(k, sched)], grid.peak))
        if voc is not None:
            say(f"time to first audio (torch {precision}, {voc})")
            sched = default_sched[ttfa_steps]
            for _ in range(s.warmup):
                time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed)
            firsts = [time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed) for _ in range(s.repeats)]
            grid.ttfa.append({"backend": "torch", "precision": precision, "vocoder": voc, "steps": ttfa_steps,
                              "schedule": sched, "words": longest, "first_sentence_audio_s": firsts[0][1],
                              "seconds": summarize([f[0] for f in firsts])})
        del synth


def _reference_mels(grid: _Grid, synth) -> None:
    """The fp32 mels of every plan and text (batch 1), untimed: the reference when fp32 is not benchmarked."""
    for (k, sched) in grid.plans:
        out = grid.mels.setdefault((*REFERENCE, k, sched), {})
        for words, text in grid.texts.items():
            out[words] = [m for mels in synth.stream_mels(text, steps=k, seed=grid.settings.seed, schedule=sched,
                                                          batch_size=1) for m in mels]


def _row(backend, precision, kind, voc, steps, sched, plan, bs, words, sentences, runs, synth, macs, peak) -> dict:
    walls = [w for w, _ in runs]
    rec0 = runs[0][1]
    audio_s = rec0.speech_frames * synth.audio.hop_length / synth.audio.sample_rate
    stages = {st: float(statistics.median(r.seconds[st] for _, r in runs)) for st in STAGES}
    executed = 2 * rec0.denoiser_frames * macs  # each denoised frame: one projection and every step
    gflops = executed / stages["denoiser"] / 1e9 if stages["denoiser"] > 0 else None
    return {
        "backend": backend, "precision": precision,
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
            out.append({"backend": r["backend"], "precision": r["precision"], "vocoder": r["vocoder"], "steps": k,
                        "schedule": r["schedule"], "words": longest, "wall_s": wall, "stages_s": r["stages_s"],
                        "fractions": {st: v / wall if wall > 0 else 0.0 for st, v in r["stages_s"].items()}})
    return out

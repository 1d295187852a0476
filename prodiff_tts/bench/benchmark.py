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
  synthesizer is replaced, and the pipeline is not copied. The onnx rows time ``OnnxVoice.synthesize`` and
  its acoustic calls up to the mels in the same way, with the same recorder.
* **Backends and precisions** are axes of the grid: every row, time-to-first-audio, breakdown and target
  carries its ``backend`` and ``precision``. "torch" (:class:`~prodiff_tts.api.Synthesizer`) runs "fp32" and
  "bf16" (the synthesizer's ``precision``); "onnx" (:class:`~prodiff_tts.onnx.OnnxVoice`, onnxruntime with
  ``threads`` intra-op threads) runs "fp32" and "int8" (:mod:`prodiff_tts.bench.onnx_rows`: the voice is
  exported untimed to a temporary directory for the step counts benchmarked; one schedule per step count, the
  voice's default; Griffin-Lim and the voice's own vocoder only). The pairs measured are every backend asked
  for with every precision it has (``settings.pairs``); the others are skipped with a note. bf16 pays only
  where the CPU computes bfloat16 natively (``machine.native_bf16``); elsewhere torch emulates it and its
  rows show the cost of the emulation.
* **Quality next to speed** (``quality``, :mod:`prodiff_tts.bench.precision_quality`): the batch-1 acoustic
  output of every other (backend, precision) against torch fp32's on the same texts, seeds and noise
  (frame-aligned mel L1, GV ratio, modulation-spectrum distance), and with ``asr`` the recognizer's WER/CER of
  every pair's end-to-end audio (batch 1) against the text. The outputs scored are those of the first timed
  repeat, except the onnx mels: an untimed pass fed the torch path's noise (the timed onnx rows draw numpy
  noise), so that onnx fp32 matches torch fp32 to float rounding. Without torch fp32 among the pairs the
  reference mels are synthesized untimed.
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

JSON (``--json``), ``schema_version`` 3 (2 had no ``settings.pairs``, ``machine.onnxruntime``,
``model.onnx``; 1 had no backend/precision fields, no ``quality``, no ``preset``)::

    {
      "schema_version": 3, "kind": "benchmark", "created": ISO-8601 str,
      "machine": {"device", "device_name", "torch", "onnxruntime" (null without the onnx backend), "python",
                  "platform", "cpu_count", "threads",
                  "interop_threads", "load_avg_1m", "matmul_peak_gflops", "matmul_size", "native_bf16",
                  "peak_rss_mib", "cuda_peak_mib" (null on CPU)},
      "model": {"bundle" (null for a preset), "voice", "supported_steps",
                "preset": {"name", "seed", "frames_per_phoneme", "parameters": {"encoder", "variance", "aligner",
                           "denoiser", "total", "inference"}} | null,
                "parameters": {"encoder_variance": int, "denoisers": {name: int}, "vocoders": {name: int}},
                "onnx": {"export_s" (export + int8 calibration, untimed), "steps", "schedules": {steps: schedule},
                         "vocoders" (those with onnx end-to-end rows), "int8": bool,
                         "calibration": {"texts", "sentences"} | null, "opset", "onnxruntime"} | null},
      "settings": {"steps", "vocoders", "backends", "precisions" (those with a pair), "pairs": [[backend,
                   precision]] (measured, in order), "batch_sizes", "repeats", "warmup", "seed",
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
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import torch

from .grid import Grid, breakdown, measure_rows
from .precision_quality import quality_section
from .random_voice import RandomVoice, write_random_voice
from .report import check_targets
from .texts import BENCHMARK_TEXTS
from .timing import device_name, matmul_peak_gflops, plan_macs_per_frame

SCHEMA_VERSION = 3
DEFAULT_STEPS = (1, 2, 4, 8)
REFERENCE = ("torch", "fp32")  # (backend, precision) the quality of the others is measured against
PRESET_VOCODERS = ("griffin-lim", "istft")
BACKEND_PRECISIONS = {"torch": ("fp32", "bf16"), "onnx": ("fp32", "int8")}  # what each backend runs

__all__ = ["SCHEMA_VERSION", "DEFAULT_STEPS", "REFERENCE", "BACKEND_PRECISIONS", "BenchmarkSettings", "RandomVoice",
           "backend_pairs", "default_steps", "run_benchmark"]


def default_steps(synth) -> list[int]:
    """Each of 1, 2, 4, 8 the bundle supports, plus the teacher's largest step count."""
    supported = set(synth.supported_steps)
    teacher = [k for e in synth.config.denoisers if not e.distilled for k in e.steps]
    return sorted({k for k in DEFAULT_STEPS if k in supported} | ({max(teacher)} if teacher else set()))


def backend_pairs(backends: Sequence[str], precisions: Sequence[str]
                  ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the (backend, precision) pairs to measure, backend by backend; the pairs asked for that do not exist,
    e.g. torch int8). ValueError (one line) for an unknown name, or when no pair is left."""
    backends, precisions = list(dict.fromkeys(backends)), list(dict.fromkeys(precisions))
    known = sorted({p for ps in BACKEND_PRECISIONS.values() for p in ps})
    for b in backends:
        if b not in BACKEND_PRECISIONS:
            raise ValueError(f"unknown backend {b!r}; choose from {', '.join(BACKEND_PRECISIONS)}")
    for p in precisions:
        if p not in known:
            raise ValueError(f"unknown precision {p!r}; choose from {', '.join(known)}")
    if not backends or not precisions:
        raise ValueError("give at least one backend and one precision")
    pairs = [(b, p) for b in backends for p in precisions if p in BACKEND_PRECISIONS[b]]
    skipped = [(b, p) for b in backends for p in precisions if p not in BACKEND_PRECISIONS[b]]
    if not pairs:
        have = "; ".join(f"{b} runs {', '.join(BACKEND_PRECISIONS[b])}" for b in backends)
        raise ValueError(f"no backend runs precision {', '.join(precisions)} ({have}): nothing to measure")
    return pairs, skipped


@dataclass
class BenchmarkSettings:
    steps: Sequence[int] | None = None  # default: default_steps(synth)
    vocoders: Sequence[str] | None = None  # default: griffin-lim, and "bundle" when the voice has a vocoder
    batch_size: int = 8
    repeats: int = 3
    warmup: int = 1
    threads: int = 2  # torch threads, and onnxruntime's intra-op threads
    max_words: int | None = None
    seed: int = 0
    device: str = "cpu"
    precisions: Sequence[str] = ("fp32",)
    backends: Sequence[str] = ("torch",)
    asr: str | None = None  # a recognizer (prodiff_tts.bench.asr) for the WER of each pair's audio
    asr_model: str | None = None


def _count(module) -> int:
    return sum(p.numel() for p in module.parameters()) if isinstance(module, torch.nn.Module) else 0


def run_benchmark(source: str | Path | RandomVoice, settings: BenchmarkSettings,
                  progress: Callable[[str], None] | None = None) -> dict:
    """Runs the whole grid on a voice bundle (``source`` a path) or on a model preset with random weights
    (a :class:`RandomVoice`, written to a temporary bundle and removed after) and returns the JSON-able
    report described in the module docstring."""
    if not isinstance(source, RandomVoice):
        return _run(Path(source), settings, progress or (lambda msg: None))
    _check(settings)  # a bad request fails before the bundle is written
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


def _check(s: BenchmarkSettings) -> tuple[list[tuple[str, str]], list[str]]:
    """The pairs to measure and the notes of those skipped; every setting checked before anything loads."""
    if s.repeats < 1 or s.batch_size < 1 or s.threads < 1 or s.warmup < 0:
        raise ValueError("repeats, batch size and threads must be >= 1, warm-up >= 0")
    pairs, skipped = backend_pairs(s.backends, s.precisions)
    notes = [f"{b} {p} skipped: {b} runs {', '.join(BACKEND_PRECISIONS[b])}" for b, p in skipped]
    if any(b == "onnx" for b, _ in pairs):  # before onnx_rows is imported (it imports onnxruntime)
        import importlib.util

        missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
        if missing:
            raise ValueError(f"--backends onnx needs {' and '.join(missing)}: pip install 'prodiff-tts[onnx]'")
        if not s.device.startswith("cpu"):
            raise ValueError(f"the onnx backend runs on the CPU (onnxruntime's CPU provider), not {s.device}: "
                             "benchmark it with --device cpu")
    return pairs, notes


def _run(bundle: Path, s: BenchmarkSettings, say: Callable[[str], None], preset: RandomVoice | None = None) -> dict:
    from ..api import Synthesizer
    from ..precision import native_bf16
    from ..text import split_sentences

    pairs, notes = _check(s)
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
    if s.batch_size > 1:
        notes.append(f"batch {s.batch_size} rows only for texts of more than one sentence (identical otherwise)")
    native = native_bf16()
    if ("torch", "bf16") in pairs and not native and not s.device.startswith("cuda"):
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

    default_sched = {k: ("searched" if (k, "searched") in plans else "uniform") for k in steps}
    grid = Grid(s, plans, macs, texts, n_sentences, batch_sizes, vocoders, peak, default_sched,
                keep_mels=recognizer is not None or any(pair != REFERENCE for pair in pairs),
                keep_wavs=recognizer is not None)

    def make(precision: str, vocoder: str | None):
        if vocoder is None and precision == "fp32":
            return base
        return Synthesizer.from_pretrained(bundle, device=s.device, vocoder=vocoder, untrained_vocoder_ok=True,
                                           precision=precision, frames_per_phoneme=fpp)  # speed only

    for backend, precision in pairs:
        if backend == "torch":
            measure_rows(grid, "torch", precision, make, plans, vocoders, say, keep_mels=grid.keep_mels,
                         count=lambda synth: _count(synth.vocoder))
    onnx = None
    onnx_precisions = [p for b, p in pairs if b == "onnx"]
    if onnx_precisions:
        from .onnx_rows import measure_onnx

        with tempfile.TemporaryDirectory(prefix="tts-bench-onnx-") as tmp:
            onnx = measure_onnx(grid, bundle, Path(tmp), onnx_precisions, fpp, say)
        notes += onnx.notes
    for voc in vocoders:  # vocoders measured by the onnx backend only
        if voc not in grid.vocoder_params:
            grid.vocoder_params[voc] = _count(make("fp32", voc).vocoder)
    if any(pair != REFERENCE for pair in pairs) and REFERENCE not in pairs:
        say("torch fp32 reference mels (untimed)")
        _reference_mels(grid, base)
        notes.append("the torch fp32 reference of the quality measures was synthesized untimed (not benchmarked)")
    say("quality of each pair against torch fp32")
    quality = quality_section(grid.mels, grid.wavs, texts, REFERENCE, recognizer, base.audio.sample_rate)
    if not quality["results"]:
        notes.append("quality: only torch fp32 measured; add --precision bf16 or --backends torch onnx to compare, "
                     "--asr whisper for the WER")

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
            "onnxruntime": onnx.onnxruntime if onnx else None,
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
            "onnx": onnx.to_dict() if onnx else None,
        },
        "settings": {"steps": steps, "vocoders": vocoders, "backends": list(dict.fromkeys(b for b, _ in pairs)),
                     "precisions": list(dict.fromkeys(p for _, p in pairs)), "pairs": [list(x) for x in pairs],
                     "batch_sizes": batch_sizes, "repeats": s.repeats, "warmup": s.warmup, "seed": s.seed,
                     "frames_per_phoneme": fpp, "asr": s.asr,
                     "texts": {str(w): n for w, n in n_sentences.items()}},
        "plans": plan_rows,
        "results": grid.results,
        "time_to_first_audio": grid.ttfa,
        "breakdown": breakdown(grid.results, steps, default_sched, max(texts)),
        "quality": quality,
        "notes": notes,
    }
    report["targets"] = check_targets(report)
    return report


def _reference_mels(grid: Grid, synth) -> None:
    """The torch fp32 mels (batch 1) of every plan and text another pair has mels of, untimed: the reference
    when torch fp32 is not benchmarked."""
    for (k, sched) in dict.fromkeys(key[2:] for key in list(grid.mels)):
        out = grid.mels.setdefault((*REFERENCE, k, sched), {})
        for words, text in grid.texts.items():
            out[words] = [m for mels in synth.stream_mels(text, steps=k, seed=grid.settings.seed, schedule=sched,
                                                          batch_size=1) for m in mels]

"""What ``tts benchmark`` measures every (backend, precision) on, what it collects the measurements into
(:class:`Grid`), and the loop that measures one (backend, precision) (:func:`measure_rows`), shared by the
torch backend (:mod:`prodiff_tts.bench.benchmark`) and the onnx backend (:mod:`prodiff_tts.bench.onnx_rows`).

A backend is anything :func:`measure_rows` can time through :func:`~prodiff_tts.bench.timing.timed_synthesis`
and :func:`~prodiff_tts.bench.timing.time_to_first_audio`: an object with ``synthesize``, ``stream_mels`` and
``stream`` taking ``(text, steps=, seed=, schedule=, batch_size=)`` and a ``stage_timer`` (the API's
protocol, :data:`prodiff_tts.speech.StageTimer`), a ``device`` and an ``audio`` with ``hop_length`` and
``sample_rate``: :class:`prodiff_tts.api.Synthesizer` is one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .timing import STAGES, rtf_summary, summarize, time_to_first_audio, timed_synthesis

__all__ = ["Grid", "measure_rows", "result_row", "breakdown"]

MakeSynth = Callable[[str, "str | None"], Any]
"""``make(precision, vocoder)``: the synthesizer of a backend at a precision, with that vocoder (None: the
acoustic rows, no vocoder needed)."""


@dataclass
class Grid:
    """What every (backend, precision) is measured on, and what its measurements are collected into."""

    settings: Any  # BenchmarkSettings
    plans: dict  # (steps, schedule) -> StepPlan
    macs: dict  # (steps, schedule) -> denoiser multiply-adds per frame
    texts: dict[int, str]
    n_sentences: dict[int, int]
    batch_sizes: list[int]
    vocoders: list[str]
    peak: float
    default_sched: dict[int, str]  # steps -> the schedule synthesis uses by default (searched when there is one)
    keep_mels: bool
    keep_wavs: bool
    results: list[dict] = field(default_factory=list)
    ttfa: list[dict] = field(default_factory=list)
    vocoder_params: dict[str, int] = field(default_factory=dict)
    mels: dict = field(default_factory=dict)  # (backend, precision, steps, schedule) -> {words: [mel]}
    wavs: dict = field(default_factory=dict)  # (backend, precision, vocoder, steps, schedule) -> {words: wav}


def measure_rows(grid: Grid, backend: str, precision: str, make: MakeSynth, plans: Mapping[tuple[int, str], Any],
                 vocoders: Sequence[str], say: Callable[[str], None], keep_mels: bool,
                 count: Callable[[Any], int] | None = None) -> None:
    """The rows of one (backend, precision): acoustic, then end to end with each of ``vocoders``, for each
    of ``plans`` (a subset of ``grid.plans``), batch size and text; the time to first audio of each vocoder.
    ``keep_mels``: keep the batch-1 acoustic mels of the first timed repeat for the quality measures (the
    end-to-end audio is kept when ``grid.keep_wavs``); ``count(synth)``: the parameters of its vocoder."""
    s, texts = grid.settings, grid.texts
    steps = sorted({k for k, _ in plans})
    ttfa_steps = 2 if 2 in steps else steps[0]
    longest = max(texts)
    for voc in [None, *vocoders]:
        synth = make(precision, voc)
        if voc is not None and count is not None:
            grid.vocoder_params.setdefault(voc, count(synth))
        kind = "acoustic" if voc is None else "end_to_end"
        for (k, sched), plan in plans.items():
            for bs in grid.batch_sizes:
                for words, text in texts.items():
                    if bs > 1 and grid.n_sentences[words] <= 1:
                        continue
                    say(f"{backend} {precision} {kind} {voc or ''} {k} steps {sched} batch {bs} {words} words")
                    for _ in range(s.warmup):
                        timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None)
                    wanted = keep_mels if voc is None else grid.keep_wavs
                    keep = [] if bs == 1 and wanted else None
                    runs = [timed_synthesis(synth, text, k, sched, bs, s.seed, vocoder=voc is not None,
                                            keep=keep if i == 0 else None) for i in range(s.repeats)]
                    if keep is not None and voc is None:
                        grid.mels.setdefault((backend, precision, k, sched), {})[words] = keep
                    elif keep is not None:
                        grid.wavs.setdefault((backend, precision, voc, k, sched), {})[words] = keep[0]
                    grid.results.append(result_row(backend, precision, kind, voc, k, sched, plan, bs, words,
                                                   grid.n_sentences[words], runs, synth.audio,
                                                   grid.macs[(k, sched)], grid.peak))
        if voc is not None:
            say(f"time to first audio ({backend} {precision}, {voc})")
            sched = grid.default_sched[ttfa_steps]
            for _ in range(s.warmup):
                time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed)
            firsts = [time_to_first_audio(synth, texts[longest], ttfa_steps, sched, s.seed) for _ in range(s.repeats)]
            grid.ttfa.append({"backend": backend, "precision": precision, "vocoder": voc, "steps": ttfa_steps,
                              "schedule": sched, "words": longest, "first_sentence_audio_s": firsts[0][1],
                              "seconds": summarize([f[0] for f in firsts])})
        del synth


def result_row(backend: str, precision: str, kind: str, voc: str | None, steps: int, sched: str, plan, bs: int,
               words: int, sentences: int, runs: list, audio, macs: int, peak: float) -> dict:
    """One row of ``results`` (schema in :mod:`prodiff_tts.bench.benchmark`) from the ``(wall, Recorder)``
    of each repeat; ``audio``: the synthesizer's audio config (``hop_length``, ``sample_rate``)."""
    walls = [w for w, _ in runs]
    rec0 = runs[0][1]
    audio_s = rec0.speech_frames * audio.hop_length / audio.sample_rate
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


def breakdown(results: Sequence[dict], steps: Sequence[int], default_sched: Mapping[int, str],
              longest: int) -> list[dict]:
    """The ``breakdown`` section: the stages of every batch-1 end-to-end row of the longest text at 2 steps
    (else the fewest) under the default schedule, as seconds and shares of the wall time."""
    k = 2 if 2 in steps else min(steps)
    out = []
    for r in results:
        if (r["kind"] == "end_to_end" and r["steps"] == k and r["schedule"] == default_sched[k]
                and r["batch_size"] == 1 and r["words"] == longest):
            wall = r["wall_s"]["median"]
            out.append({"backend": r["backend"], "precision": r["precision"], "vocoder": r["vocoder"], "steps": k,
                        "schedule": r["schedule"], "words": longest, "wall_s": wall, "stages_s": r["stages_s"],
                        "fractions": {st: v / wall if wall > 0 else 0.0 for st, v in r["stages_s"].items()}})
    return out

"""The onnx backend of ``tts benchmark`` (``--backends onnx``): rows of :class:`prodiff_tts.onnx.OnnxVoice`
in the grid the torch rows fill (:mod:`prodiff_tts.bench.grid`).

* **Export, untimed**: the voice (or the ``--preset`` random bundle) is exported with
  :func:`~prodiff_tts.onnx.export_onnx` to a temporary directory for exactly the step counts benchmarked,
  with int8 step graphs (calibrated on the export's default number of calibration texts) when int8 is asked
  for; its seconds are reported (``model.onnx.export_s``), not timed in any row.
* **One schedule per step count**: the export serves the voice's own plan (``schedule="searched"``: the searched
  one where the voice has one, else uniform), so the onnx rows are measured for that schedule only.
* **Vocoders**: the export has Griffin-Lim (numpy) and the voice's own vocoder ("bundle"); any other vocoder
  (a preset's untrained iSTFT, a vocoder directory) has no ONNX graph, and its onnx end-to-end rows are skipped.
* **Timing**: the API's own calls (``OnnxVoice.synthesize``, ``.stream``, and its acoustic calls up to the
  mels) with the benchmark's :class:`~prodiff_tts.bench.timing.Recorder` as ``stage_timer``; onnxruntime runs
  ``threads`` intra-op threads, 1 inter-op thread. As on the torch side, a fresh voice per (precision,
  vocoder) whose lazy work (onnxruntime sessions, the frontend's dictionaries) falls in the first call: the
  warm-up runs absorb it.
* **Presets**: ``--frames-per-phoneme`` frames on every phoneme, as the torch rows' ``Synthesizer(
  frames_per_phoneme=...)``: the exported frontend graph still runs (its duration output is not used).
* **Quality** (:func:`quality_mels`): the timed rows draw numpy noise, so their mels cannot be compared frame
  by frame with torch's; the quality pass (untimed) synthesizes every text sentence by sentence (batch 1) with
  the torch path's noise (``torch.randn`` from ``torch.Generator().manual_seed(seed + sentence index)``), so
  that onnx fp32 reproduces torch fp32 and the int8 deviation is measured frame-wise.

Imports onnxruntime (and, for the export and the noise, torch): the benchmark imports it only when the onnx
backend is asked for and onnx and onnxruntime are installed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ..onnx.runtime import OnnxVoice
from ..onnx.sampling import length_regulate
from .grid import Grid, measure_rows

__all__ = ["ONNX_VOCODERS", "OnnxRows", "measure_onnx", "quality_mels"]

ONNX_VOCODERS = ("griffin-lim", "bundle")  # the vocoders an export has


class _FixedDurationVoice(OnnxVoice):
    """An :class:`OnnxVoice` that gives every phoneme ``frames_per_phoneme`` frames (0 to padding), as
    ``Synthesizer(frames_per_phoneme=...)`` does for a preset's random weights: the frontend graph runs
    whole, its predicted durations are replaced."""

    def __init__(self, directory: str | Path, threads: int, precision: str, vocoder: str | None,
                 frames_per_phoneme: int) -> None:
        super().__init__(directory, threads=threads, precision=precision, vocoder=vocoder)
        self.frames_per_phoneme = frames_per_phoneme

    def condition(self, ids: Sequence[Sequence[int]], speed: float | Sequence[float] = 1.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not ids or any(len(seq) == 0 for seq in ids):
            raise ValueError("every phoneme sequence needs at least one symbol")
        lengths = np.array([len(seq) for seq in ids], dtype=np.int64)
        phonemes = np.zeros((len(ids), int(lengths.max())), dtype=np.int64)
        for b, seq in enumerate(ids):
            phonemes[b, : len(seq)] = seq
        h, _ = self._session(self.manifest.frontend).run(None, {"phonemes": phonemes, "lengths": lengths})
        durations = (phonemes != 0).astype(np.int64) * self.frames_per_phoneme  # speed ignored, as in torch
        cond, frame_mask, mel_lengths = length_regulate(h, durations)
        return cond, frame_mask, durations, mel_lengths


@dataclass(frozen=True)
class _Audio:
    hop_length: int
    sample_rate: int


class _Timed:
    """What the benchmark's timers call (``synthesize``, ``stream_mels``, ``stream``: the Synthesizer's
    signatures) on an :class:`OnnxVoice`. ``schedule`` must be the one exported (checked)."""

    device = "cpu"

    def __init__(self, voice: OnnxVoice, schedules: dict[int, str]) -> None:
        self.voice = voice
        self.schedules = schedules
        self.audio = _Audio(voice.hop_length, voice.sample_rate)

    def _check(self, steps: int, schedule: str) -> None:
        if self.schedules.get(steps) != schedule:
            raise ValueError(f"the onnx export serves {steps} steps with the {self.schedules.get(steps)} schedule, "
                             f"not {schedule}")

    def synthesize(self, text: str, steps: int, seed: int, schedule: str, batch_size: int, stage_timer=None):
        self._check(steps, schedule)
        return self.voice.synthesize(text, steps, seed, batch_size=batch_size, stage_timer=stage_timer)

    def stream(self, text: str, steps: int, seed: int, schedule: str, batch_size: int, stage_timer=None):
        self._check(steps, schedule)
        return self.voice.stream(text, steps, seed, batch_size=batch_size, stage_timer=stage_timer)

    def stream_mels(self, text: str, steps: int, seed: int, schedule: str, batch_size: int, stage_timer=None):
        """What :meth:`stream` vocodes, batch by batch: the frontend now, then ``OnnxVoice.acoustic`` per batch
        with the seeds and speeds ``OnnxVoice.stream`` gives it."""
        self._check(steps, schedule)
        units = self.voice.script(text, 1.0, None, stage_timer).units  # the stream's own frontend call

        def batches():
            for start in range(0, len(units), batch_size):
                batch = units[start : start + batch_size]
                yield self.voice.acoustic([u.ids for u in batch], steps, seed + start, [u.speed for u in batch],
                                          stage_timer=stage_timer)[0]

        return batches()


@dataclass
class OnnxRows:
    """What the report records of the onnx backend (``model.onnx``)."""

    export_s: float
    steps: list[int]
    schedules: dict[int, str]
    vocoders: list[str]
    int8: bool
    calibration: dict | None  # {"texts", "sentences"} of the int8 calibration
    opset: int
    onnxruntime: str
    notes: list[str]

    def to_dict(self) -> dict:
        return {"export_s": self.export_s, "steps": self.steps,
                "schedules": {str(k): v for k, v in self.schedules.items()}, "vocoders": self.vocoders,
                "int8": self.int8, "calibration": self.calibration, "opset": self.opset,
                "onnxruntime": self.onnxruntime}


def measure_onnx(grid: Grid, bundle: Path, work_dir: Path, precisions: Sequence[str],
                 frames_per_phoneme: int | None, say: Callable[[str], None]) -> OnnxRows:
    """Export ``bundle`` into ``work_dir`` (untimed), measure the rows of every onnx precision into ``grid``,
    then put each precision's quality mels (torch's noise) into ``grid.mels``."""
    import onnxruntime

    from ..onnx import export_onnx

    steps = sorted({k for k, _ in grid.plans})
    int8 = "int8" in precisions
    say(f"exporting to ONNX for {', '.join(map(str, steps))} step(s)" + (" with int8 calibration" if int8 else ""))
    t0 = time.perf_counter()
    manifest = export_onnx(bundle, work_dir, steps, int8=int8, progress=say)
    export_s = time.perf_counter() - t0
    schedules = {k: grid.default_sched[k] for k in steps}
    for k in steps:
        plan, served = grid.plans[(k, schedules[k])], manifest.plans[k]
        if tuple(served.timesteps) != tuple(plan.timesteps) or served.denoiser != plan.denoiser:
            raise RuntimeError(f"the ONNX export serves {k} steps with another plan than the torch path's "
                               f"{schedules[k]} one")
    plans = {(k, schedules[k]): grid.plans[(k, schedules[k])] for k in steps}
    vocoders = [v for v in grid.vocoders if v in manifest.vocoders]
    s = grid.settings
    calibration = None
    if int8 and manifest.int8:
        c = manifest.int8["calibration"]
        calibration = {"texts": c["texts"], "sentences": c["sentences"]}
    notes = [f"onnx: the voice was exported to ONNX (a temporary directory) for {', '.join(map(str, steps))} "
             f"step(s) in {export_s:.1f} s"
             + (f", int8 calibration on {calibration['texts']} texts included" if calibration else "")
             + "; the export and calibration are not part of any timing",
             "onnx: the export serves one schedule per step count, measured for that schedule only: "
             + ", ".join(f"{k} steps {v}" for k, v in schedules.items()),
             "onnx: quality from an untimed pass fed the torch path's noise (the timed onnx rows draw numpy noise)"]
    skipped = [v for v in grid.vocoders if v not in manifest.vocoders]
    if skipped:
        notes.append(f"onnx: no end-to-end rows with {', '.join(skipped)} (export_onnx exports Griffin-Lim and the "
                     f"voice's own vocoder only)" + (f"; {', '.join(vocoders)} only" if vocoders else ""))
    if frames_per_phoneme is not None:
        notes.append(f"onnx rows of a preset: {frames_per_phoneme} frames per phoneme on the exported frontend's "
                     "output (its duration output unused); the int8 calibration ran the export's own path "
                     "(the random duration predictor's lengths)")

    def voice(precision: str, vocoder: str | None) -> OnnxVoice:
        voc = vocoder or "griffin-lim"
        if frames_per_phoneme is None:
            return OnnxVoice(work_dir, threads=s.threads, precision=precision, vocoder=voc)
        return _FixedDurationVoice(work_dir, s.threads, precision, voc, frames_per_phoneme)

    for precision in precisions:
        measure_rows(grid, "onnx", precision, lambda p, v: _Timed(voice(p, v), schedules), plans, vocoders, say,
                     keep_mels=False)
    for precision in precisions:
        say(f"onnx {precision}: mels with the torch path's noise (untimed)")
        v = voice(precision, None)
        for k, sched in plans:
            grid.mels[("onnx", precision, k, sched)] = quality_mels(v, grid.texts, k, s.seed)
    return OnnxRows(export_s, steps, schedules, vocoders, int8, calibration, manifest.opset,
                    onnxruntime.__version__, notes)


def quality_mels(voice: OnnxVoice, texts: dict[int, str], steps: int, seed: int) -> dict[int, list[np.ndarray]]:
    """``{words: [mel of each sentence]}`` of ``texts``, batch 1, each sentence started from the noise the
    torch path draws for it at batch size 1: ``torch.randn((1, n_mels, T), generator=torch.Generator()
    .manual_seed(seed + i))`` for the i-th sentence (``Synthesizer._mel_ids_durations``)."""
    import torch

    out = {}
    for words, text in texts.items():
        mels = []
        for i, unit in enumerate(voice.script(text).units):
            cond, _, _, _ = voice.condition([unit.ids], [unit.speed])
            gen = torch.Generator(device="cpu").manual_seed(seed + i)
            noise = torch.randn((1, voice.manifest.n_mels, cond.shape[-1]), generator=gen).numpy()
            mels.append(voice.acoustic([unit.ids], steps, seed + i, [unit.speed], noise=noise)[0][0])
        out[words] = mels
    return out

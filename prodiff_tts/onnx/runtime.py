"""Speech from an exported ONNX voice with onnxruntime and numpy only: no torch import.

``OnnxVoice(directory, threads=2, precision="fp32"|"int8").synthesize(text, steps=2, seed=0, speed=1.0)
-> (wav float32, sample_rate)``; ``synthesize_with_timestamps`` / ``stream_with_timestamps`` add the word and
phoneme timings, as the torch API does. The text frontend is the torch path's (markup, lexicons, sentence split,
pauses); the frontend graph gives phoneme-level features and log durations, numpy turns them into frames
(:mod:`.sampling`), the plan's condition and step graphs denoise numpy noise, and the vocoder is the voice's
exported one (iSTFT head + numpy inverse STFT) or numpy Griffin-Lim (:mod:`.dsp`).

Noise comes from numpy (``seed`` plus the index of a batch's first sentence, as the torch path does), so a
seed gives the same audio run after run, but not the torch path's audio: to compare the two, feed the same
noise to :meth:`OnnxVoice.acoustic` and to ``ddim_sample``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import onnxruntime as ort

from ..speech import (STAGES, Script, SpeechUnit, StageTimer, TimedPiece, TimedSpeech, assemble_pieces,
                      audio_pieces, build_script, check_speed, join_pieces, stage)
from .dsp import Spectral, griffin_lim, istft, mel_matched, mel_to_linear
from .manifest import MANIFEST_NAME, PRECISIONS, OnnxExportError, OnnxManifest, OnnxPlan, read_manifest
from .sampling import ddim_sample, durations_from_log, initial_noise, length_regulate

if TYPE_CHECKING:
    from ..text import Lexicon

__all__ = ["OnnxVoice", "StageSeconds", "STAGES"]


class StageSeconds:
    """A ``stage_timer`` (see ``prodiff_tts.speech.StageTimer``) that adds up wall seconds per stage:
    ``clock = StageSeconds(); voice.synthesize(text, stage_timer=clock); clock.seconds`` ->
    ``{"frontend": ..., "encoder_variance": ..., "denoiser": ..., "vocoder": ...}``."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.frames: dict[str, int] = {}

    @contextmanager
    def __call__(self, name: str, frames: int = 0) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            self.frames[name] = self.frames.get(name, 0) + int(frames)


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return value


class OnnxVoice:
    """An exported voice ready to speak. ``threads``: onnxruntime's intra-op threads per graph run;
    ``precision``: "fp32", or "int8" for the quantized step graphs (exported with ``--int8``); ``vocoder``:
    None (the voice's default, as the torch path chooses it), "bundle" (its exported vocoder) or
    "griffin-lim"; ``lexicon``: as :class:`prodiff_tts.api.Synthesizer`. Thread-safe: graph runs may overlap,
    the text frontend runs one text at a time."""

    def __init__(self, directory: str | os.PathLike, threads: int = 2, precision: str = "fp32",
                 vocoder: str | None = None, lexicon: "str | os.PathLike[str] | Lexicon | None" = None) -> None:
        from ..text import TextFrontend, Vocab

        self.directory = Path(directory)
        self.manifest: OnnxManifest = read_manifest(self.directory)
        self.threads = _positive_int(threads, "threads")
        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.precision = precision
        if not self.supported_steps:
            raise OnnxExportError(f"{self.directory} has no {precision} step graphs"
                                  + (" (export with --int8)" if precision == "int8" else ""))
        m = self.manifest
        self.sample_rate = int(m.audio["sample_rate"])
        self.hop_length = int(m.audio["hop_length"])
        self.log_floor = float(np.log(m.audio["log_clamp"]))
        self.vocab = Vocab.load(self.directory / m.files["vocab"])
        stats = json.loads((self.directory / m.files["stats"]).read_text())
        self.mel_mean = np.asarray(stats["mel_mean"], dtype=np.float32).reshape(1, -1, 1)
        self.mel_std = np.asarray(stats["mel_std"], dtype=np.float32).reshape(1, -1, 1)
        with np.load(self.directory / m.files["audio"]) as arrays:
            self.spectral = Spectral(arrays["window"], arrays["mel_basis"], arrays["mel_pinv"], self.hop_length)
        self.voice_name = m.voice
        self.vocoder_name = vocoder or m.default_vocoder
        if self.vocoder_name not in m.vocoders:
            raise ValueError(f"vocoder {self.vocoder_name!r} is not in this export; it has "
                             f"{', '.join(sorted(m.vocoders))}")
        self.frontend = TextFrontend(self.vocab, lexicon=lexicon)
        self._options = ort.SessionOptions()
        self._options.intra_op_num_threads = self.threads
        self._options.inter_op_num_threads = 1
        self._options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        self._options.log_severity_level = 3
        self._sessions: dict[str, ort.InferenceSession] = {}
        self._session_lock = threading.Lock()
        self._text_lock = threading.Lock()

    # --- graphs and plans ------------------------------------------------------------------------------

    def _session(self, file: str) -> ort.InferenceSession:
        sess = self._sessions.get(file)
        if sess is None:
            with self._session_lock:
                sess = self._sessions.get(file)
                if sess is None:
                    sess = ort.InferenceSession(str(self.directory / file), self._options,
                                                providers=["CPUExecutionProvider"])
                    self._sessions[file] = sess
        return sess

    @property
    def created(self) -> int:
        """When the voice was exported (its manifest's modification time, Unix seconds)."""
        return int((self.directory / MANIFEST_NAME).stat().st_mtime)

    @property
    def supported_steps(self) -> list[int]:
        """Step counts exported at this voice's precision."""
        return sorted(k for k in self.manifest.plans if self.precision in self.manifest.precisions(k))

    def plan(self, steps: int) -> OnnxPlan:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps not in self.supported_steps:
            raise ValueError(f"--steps {steps} is not exported at {self.precision} for this voice; exported: "
                             f"{', '.join(map(str, self.supported_steps))}")
        return self.manifest.plans[steps]

    def load(self, steps: int | None = None) -> "OnnxVoice":
        """Open the graphs of ``steps`` (default: every exported step count) and the vocoder, and load the
        frontend's dictionaries, so that the first call costs what every later call does. Returns self."""
        for k in [steps] if steps is not None else self.supported_steps:
            plan = self.plan(k)
            for file in [self.manifest.frontend, self.manifest.conditions[plan.denoiser],
                         *plan.graphs[self.precision]]:
                self._session(file)
        graph = self.manifest.vocoders[self.vocoder_name].get("graph")
        if graph:
            self._session(graph)
        with self._text_lock:
            self.frontend.load()
        return self

    # --- the acoustic model --------------------------------------------------------------------------------

    @staticmethod
    def _speeds(speed: float | Sequence[float], n: int) -> list[float]:
        """One positive speed per sequence (a sentence's prosody rate may take it beyond the call's range)."""
        speeds = [float(speed)] * n if isinstance(speed, (int, float)) else [float(s) for s in speed]
        if len(speeds) != n:
            raise ValueError(f"{len(speeds)} speeds for {n} sentences")
        return speeds

    def condition(self, ids: Sequence[Sequence[int]], speed: float | Sequence[float] = 1.0
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(cond [B, C, T], mask [B, 1, T], durations [B, N], mel_lengths [B])`` of a batch of phoneme-id
        sequences, as ``AcousticModel.condition_infer``; ``speed``: one float, or one per sequence."""
        if not ids or any(len(seq) == 0 for seq in ids):
            raise ValueError("every phoneme sequence needs at least one symbol")
        speeds = self._speeds(speed, len(ids))
        lengths = np.array([len(seq) for seq in ids], dtype=np.int64)
        phonemes = np.zeros((len(ids), int(lengths.max())), dtype=np.int64)
        for b, seq in enumerate(ids):
            phonemes[b, : len(seq)] = seq
        h, log_dur = self._session(self.manifest.frontend).run(None, {"phonemes": phonemes, "lengths": lengths})
        mask = np.arange(phonemes.shape[1])[None, :] < lengths[:, None]
        durations = durations_from_log(log_dur, mask, speeds, self.manifest.max_phoneme_frames)
        cond, frame_mask, mel_lengths = length_regulate(h, durations)
        return cond, frame_mask, durations, mel_lengths

    def project(self, plan: OnnxPlan, cond: np.ndarray) -> np.ndarray:
        """The plan's denoiser's per-layer condition projections ``[B, L, 2C, T]``."""
        return self._session(self.manifest.conditions[plan.denoiser]).run(None, {"cond": cond})[0]

    def step_functions(self, plan: OnnxPlan, precision: str | None = None) -> list:
        """One ``step(z_t, proj, mask) -> x0_hat`` per step of ``plan`` at ``precision`` (default: the voice's)."""
        files = plan.graphs.get(precision or self.precision) or []
        if len(files) != plan.steps:
            raise ValueError(f"no {precision or self.precision} graphs for {plan.steps} steps in this export")

        def step(file: str):
            sess = self._session(file)
            return lambda z, proj, mask: sess.run(None, {"z_t": z, "proj": proj, "mask": mask})[0]

        return [step(f) for f in files]

    def acoustic(self, ids: Sequence[Sequence[int]], steps: int = 2, seed: int = 0,
                 speed: float | Sequence[float] = 1.0, *, noise: np.ndarray | None = None,
                 stage_timer: StageTimer | None = None) -> tuple[list[np.ndarray], list[list[int]]]:
        """Natural-log mels ``[n_mels, T_i]`` and frames per phoneme of a batch of phoneme-id sequences, one
        diffusion run for the batch. ``noise [B, n_mels, T]``: the initial state (default
        :func:`~.sampling.initial_noise` of ``seed``); give the torch path's noise to compare the two."""
        plan = self.plan(steps)
        with stage(stage_timer, "encoder_variance"):
            cond, mask, durations, mel_lengths = self.condition(ids, speed)
        shape = (len(ids), self.manifest.n_mels, cond.shape[-1])
        if noise is None:
            noise = initial_noise(shape, seed)
        elif tuple(noise.shape) != shape:
            raise ValueError(f"noise has shape {tuple(noise.shape)}, expected {shape}")
        with stage(stage_timer, "denoiser", shape[0] * shape[2]):
            proj = self.project(plan, cond)
            x0 = ddim_sample(self.step_functions(plan), plan.coefficients, noise.astype(np.float32), proj, mask)
        mel = x0 * self.mel_std + self.mel_mean
        return ([mel[b, :, : int(mel_lengths[b])] for b in range(len(ids))],
                [durations[b, : len(seq)].tolist() for b, seq in enumerate(ids)])

    def mel_batch(self, texts: Sequence[str], steps: int = 2, seed: int = 0, speed: float = 1.0) -> list[np.ndarray]:
        """Natural-log mels of a batch of sentences (one sentence per text, as ``Synthesizer.mel_batch``)."""
        self.plan(steps)
        check_speed(speed)
        with self._text_lock:
            ids = [self.frontend.encode(t) for t in texts]
        return self.acoustic(ids, steps, seed, speed)[0]

    # --- the vocoder ---------------------------------------------------------------------------------------

    def vocode(self, mels: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Waveforms (float32 in [-1, 1], ``T_i * hop`` samples) of natural-log mels ``[n_mels, T_i]``, vocoded
        as one batch padded with the log-mel floor."""
        T = max(m.shape[-1] for m in mels)
        batch = np.full((len(mels), self.manifest.n_mels, T), self.log_floor, dtype=np.float32)
        for b, m in enumerate(mels):
            batch[b, :, : m.shape[-1]] = m
        spec = self.manifest.vocoders[self.vocoder_name]
        if self.vocoder_name == "griffin-lim":
            mag = mel_to_linear(batch, self.spectral, nnls_iter=int(spec["nnls_iter"]))
            if float(spec["power"]) != 1.0:
                mag = mag ** np.float32(spec["power"])
            wav = griffin_lim(mag, self.spectral, n_iter=int(spec["n_iter"]), momentum=float(spec["momentum"]),
                              seed=int(spec["seed"]))
        elif spec["kind"] == "istft":
            log_mag, phase = self._session(spec["graph"]).run(None, {"log_mel": batch})
            magnitude = np.exp(log_mag)
            wav = istft((magnitude * np.cos(phase) + 1j * (magnitude * np.sin(phase))).astype(np.complex64),
                        self.spectral)
            wav = mel_matched(wav, batch, self.spectral, int(spec.get("mel_match_iters", 0)))
        else:  # a vocoder exported whole (mel -> waveform)
            wav = self._session(spec["graph"]).run(None, {"log_mel": batch})[0]
        wav = np.clip(wav, -1.0, 1.0).astype(np.float32, copy=False)
        return [wav[b, : m.shape[-1] * self.hop_length] for b, m in enumerate(mels)]

    # --- text to speech ------------------------------------------------------------------------------------

    def script(self, text: str, speed: float = 1.0, ssml: bool | None = None,
               stage_timer: StageTimer | None = None) -> Script:
        """The text frontend's part of a call: sentences (phoneme ids, speed) and the silences between them."""
        from ..text import UnspeakableTextError

        with self._text_lock, stage(stage_timer, "frontend"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rendered = self.frontend.render(text, ssml=ssml)
            except UnspeakableTextError:
                rendered = None
        for message, category in sorted({(str(c.message), c.category) for c in caught}, key=lambda m: m[0]):
            warnings.warn(message, category, stacklevel=4)
        if rendered is None:
            raise UnspeakableTextError(f"nothing speakable in the text: {text[:60]!r}")
        return build_script(rendered, speed, self.sample_rate)

    def stream(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, batch_size: int = 8, *,
               ssml: bool | None = None, stage_timer: StageTimer | None = None) -> Iterator[np.ndarray]:
        """The waveform piece by piece, one float32 array per batch of ``batch_size`` sentences with the
        pauses between sentences, as ``Synthesizer.stream`` (the same markup, pauses and seeds per batch).
        The text and settings are checked before this returns."""
        return audio_pieces(self._timed(text, steps, seed, speed, batch_size, ssml, stage_timer, timed=False))

    def stream_with_timestamps(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0,
                               batch_size: int = 8, *, ssml: bool | None = None,
                               stage_timer: StageTimer | None = None) -> Iterator[TimedPiece]:
        """:meth:`stream` with timings, as ``Synthesizer.stream_with_timestamps``: one ``TimedPiece(audio, words,
        phonemes)`` per piece, the same audio, and the word and phoneme timings (seconds from the start of the
        whole audio) from the frames per phoneme the synthesis used; boundary tokens have ``word == -1``."""
        return self._timed(text, steps, seed, speed, batch_size, ssml, stage_timer, timed=True)

    def _timed(self, text: str, steps: int, seed: int, speed: float, batch_size: int, ssml: bool | None,
               stage_timer: StageTimer | None, timed: bool) -> Iterator[TimedPiece]:
        """The checks and the frontend now (warnings attributed to the caller of the public method that called
        this), the pieces lazily."""
        self.plan(steps)
        check_speed(speed)
        _positive_int(batch_size, "batch_size")
        if ssml is not None and not isinstance(ssml, bool):
            raise ValueError(f"ssml must be True, False or None (auto), got {ssml!r}")
        script = self.script(text, speed, ssml, stage_timer)
        return assemble_pieces(script, self._unit_batches(script, steps, seed, batch_size, stage_timer), self.vocode,
                               self.sample_rate, self.hop_length, stage_timer, timed)

    def _unit_batches(self, script: Script, steps: int, seed: int, batch_size: int, stage_timer: StageTimer | None
                      ) -> Iterator[tuple[list[SpeechUnit], list[np.ndarray], list[list[int]]]]:
        """(units, mels, frames per phoneme) per batch; the noise of a batch comes from ``seed`` plus the index
        of its first sentence."""
        units = script.units
        for start in range(0, len(units), batch_size):
            batch = units[start : start + batch_size]
            mels, durations = self.acoustic([u.ids for u in batch], steps, seed + start, [u.speed for u in batch],
                                            stage_timer=stage_timer)
            yield batch, mels, durations

    def synthesize(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, batch_size: int = 8, *,
                   ssml: bool | None = None, stage_timer: StageTimer | None = None) -> tuple[np.ndarray, int]:
        """Waveform (float32 in [-1, 1]) and sample rate; see :meth:`stream`. ``stage_timer`` (e.g.
        :class:`StageSeconds`) times "frontend", "encoder_variance", "denoiser" and "vocoder"."""
        pieces = self._timed(text, steps, seed, speed, batch_size, ssml, stage_timer, timed=False)
        return join_pieces(pieces, self.sample_rate).audio, self.sample_rate

    def synthesize_with_timestamps(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0,
                                   batch_size: int = 8, *, ssml: bool | None = None,
                                   stage_timer: StageTimer | None = None) -> TimedSpeech:
        """:meth:`synthesize` (the same waveform) with the timings of its words and phonemes:
        ``TimedSpeech(audio, sample_rate, words, phonemes)``; see :meth:`stream_with_timestamps`."""
        pieces = self._timed(text, steps, seed, speed, batch_size, ssml, stage_timer, timed=True)
        return join_pieces(pieces, self.sample_rate)

"""Python API: ``Synthesizer.from_pretrained(path).synthesize(text, steps=2) -> (waveform, sample_rate)``;
``synthesize_with_timestamps`` / ``stream_with_timestamps`` add word and phoneme timings.

Text may carry pronunciation markup (inline ``[[HH AH0 L OW1]]``, SSML-lite when it starts with ``<speak>``;
docs/text.md) and the voice a user lexicon. Loads a bundle (safetensors + YAML/JSON) with plain torch: no
Lightning, no Hydra, no pickle.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np
import torch

from .bundle import BundleError, audio_config, load_state, load_weights, read_bundle_config, read_json
from .diffusion.sampler import ddim_sample
from .diffusion.schedule import schedule_from_config, uniform_timesteps
from .precision import PRECISIONS, bind_in_dtype
from .speech import (  # noqa: F401  (STAGES, StageTimer, TimedPiece, TimedSpeech: part of the API)
    PAUSE_SECONDS,
    STAGES,
    Script,
    SpeechUnit,
    StageTimer,
    TimedPiece,
    TimedSpeech,
    assemble_pieces,
    audio_pieces,
    build_script,
    check_speed,
    join_pieces,
    stage,
)
from .voices import DEFAULT_VOICE, default_model_path  # noqa: F401  (re-exported: the API's default voice)

if TYPE_CHECKING:
    from .text import Lexicon

@dataclass(frozen=True)
class StepPlan:
    """How a step count is served: which denoiser, at which timesteps, skipping which layers."""

    denoiser: str
    timesteps: tuple[float, ...]
    layer_masks: tuple[tuple[bool, ...], ...] | None
    source: str  # "searched" or "uniform"


class Synthesizer:
    """A voice bundle ready to speak; one instance may serve several threads at once (the step plan of a call
    is passed down, never stored on the model; the text frontend, espeak included, runs one call at a time).
    ``vocoder``: None (the voice's default: ``extra.default_vocoder`` of its
    config, else its own vocoder, else Griffin-Lim), "bundle",
    "griffin-lim", or the path of a saved vocoder (``load_vocoder``; it must use the voice's audio config).
    An architecture name that needs trained weights ("hifigan-v1", "istft", ...) is refused unless
    ``untrained_vocoder_ok`` (speed measurements with random weights). ``lexicon``: a user lexicon (a file
    path, a :class:`~prodiff_tts.text.Lexicon` or a word -> "PHONEMES" mapping) consulted before CMUdict and
    espeak; a bad file raises ``LexiconError`` (a ValueError) here. ``precision``: "fp32", or "bf16" (the
    denoisers' weights in bfloat16 and a trained vocoder under bfloat16 autocast; the encoder, the sampler's
    state and Griffin-Lim stay float32). bf16 only pays on CPUs with native bfloat16 arithmetic
    (:func:`native_bf16`); elsewhere it is many times slower than fp32. ``frames_per_phoneme``: None (the
    duration predictor's, the voice's speech), or that many frames for every phoneme and boundary token
    (``speed`` is then ignored): speed measurements of models with random weights (``tts benchmark --preset``)."""

    def __init__(self, bundle_dir: str | Path, device: str = "cpu", vocoder: str | None = None,
                 untrained_vocoder_ok: bool = False, lexicon: "str | os.PathLike[str] | Lexicon | None" = None,
                 precision: str = "fp32", frames_per_phoneme: int | None = None) -> None:
        from .models.acoustic import AcousticModel
        from .models.config import AcousticConfig
        from .models.denoiser import WaveNetDenoiser
        from .text import TextFrontend, Vocab

        if precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        self.precision = precision
        if frames_per_phoneme is not None and not (type(frames_per_phoneme) is int and frames_per_phoneme >= 1):
            raise ValueError(f"frames_per_phoneme must be a positive integer or None, got {frames_per_phoneme!r}")
        self.frames_per_phoneme = frames_per_phoneme
        self.bundle_dir = Path(bundle_dir)
        self.config = read_bundle_config(self.bundle_dir)
        self.audio = audio_config(self.config)
        self.device = torch.device(device)
        try:
            model_cfg = AcousticConfig.from_dict(self.config.model)
        except (TypeError, ValueError, KeyError) as e:
            raise BundleError(f"model config of {self.bundle_dir} does not fit this version: {e}") from None
        self.model = AcousticModel(model_cfg, self.config.n_symbols)
        shared = load_weights(self.bundle_dir / "acoustic.safetensors")
        self.denoisers: dict[str, torch.nn.Module] = {}
        for entry in self.config.denoisers:
            den = WaveNetDenoiser(model_cfg.denoiser, n_mels=model_cfg.n_mels, cond_channels=model_cfg.encoder.hidden)
            load_state(den, load_weights(self.bundle_dir / entry.file), f"denoiser {entry.name!r}")
            self.denoisers[entry.name] = den.eval().to(self.device)
        first = self.config.denoisers[0].name
        state = {**shared, **{f"denoiser.{k}": v for k, v in self.denoisers[first].state_dict().items()}}
        if precision == "bf16":  # after the fp32 state is copied into the acoustic model
            for den in self.denoisers.values():
                den.to(torch.bfloat16)
        load_state(self.model, state, "acoustic model")
        self.model.eval().to(self.device)
        self.vocab = Vocab.load(self.bundle_dir / "vocab.json")
        if len(self.vocab) != self.config.n_symbols:
            raise BundleError(f"vocab.json has {len(self.vocab)} symbols, the model {self.config.n_symbols}")
        stats = read_json(self.bundle_dir / "stats.json")
        self.mel_mean = torch.tensor(stats["mel_mean"], device=self.device).view(1, -1, 1)
        self.mel_std = torch.tensor(stats["mel_std"], device=self.device).view(1, -1, 1)
        self.frontend = TextFrontend(self.vocab, lexicon=lexicon)
        self.schedule = schedule_from_config(self.config.diffusion)
        path = self.bundle_dir / "schedule.json"
        self.searched: dict = read_json(path) if path.exists() else {}
        self.vocoder_name = vocoder or self.config.default_vocoder
        self._check_vocoder(untrained_vocoder_ok)
        self._vocoder = None
        self._vocoder_lock = threading.Lock()
        # espeak (through phonemizer) and warnings.catch_warnings are process-wide state: one text at a time
        self._text_lock = threading.Lock()

    @property
    def vocoder_label(self) -> str:
        """The vocoder as reports print it: ``vocoder_name``, with "bundle" spelt out as the voice's own
        vocoder, its kind and its rounds of mel matching if any (``bundle (istft)``, ``bundle (istft, mel
        matching 1)``)."""
        if self.vocoder_name != "bundle":
            return self.vocoder_name
        try:
            desc = read_json(self.bundle_dir / self.config.vocoder / "vocoder.json")
        except (BundleError, OSError):  # the report still names it; loading the vocoder says what is wrong
            return "bundle"
        parts = [str(desc["name"])] if desc.get("name") else []
        rounds = (desc.get("kwargs") or {}).get("mel_match_iters")
        if rounds:
            parts.append(f"mel matching {rounds}")
        return f"bundle ({', '.join(parts)})" if parts else "bundle"

    def _check_vocoder(self, untrained_ok: bool) -> None:
        from .vocoders import VOCODER_NAMES

        name = self.vocoder_name
        if name == "bundle":
            if not self.config.vocoder:
                raise ValueError(f"the voice {self.bundle_dir} has no vocoder of its own")
        elif name in VOCODER_NAMES:
            if name != "griffin-lim" and not untrained_ok:
                raise ValueError(f"vocoder {name!r} needs trained weights: give the path of a saved vocoder "
                                 "(or griffin-lim)")
        elif not Path(name).exists():
            raise ValueError(f"vocoder not found: {name} (griffin-lim, 'bundle', or the path of a saved vocoder)")

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device: str = "cpu", vocoder: str | None = None,
                        untrained_vocoder_ok: bool = False,
                        lexicon: "str | os.PathLike[str] | Lexicon | None" = None,
                        precision: str = "fp32", frames_per_phoneme: int | None = None) -> "Synthesizer":
        if path is None:
            path = default_model_path()
            if not path.is_dir():
                raise BundleError(f"no voice at {path}: pass --model BUNDLE (from `tts export`) or set "
                                  f"PRODIFF_TTS_MODEL")
        return cls(path, device=device, vocoder=vocoder, untrained_vocoder_ok=untrained_vocoder_ok, lexicon=lexicon,
                   precision=precision, frames_per_phoneme=frames_per_phoneme)

    # --- step plans ----------------------------------------------------------------------------------------

    @property
    def voice_name(self) -> str:
        return self.config.voice

    @property
    def sample_rate(self) -> int:
        return self.audio.sample_rate

    @property
    def created(self) -> int:
        """When the voice was made (its config's modification time, Unix seconds)."""
        return int((self.bundle_dir / "config.yaml").stat().st_mtime)

    @property
    def supported_steps(self) -> list[int]:
        return sorted({k for e in self.config.denoisers for k in e.steps})

    def plan(self, steps: int, schedule: str = "searched", denoiser: str | None = None) -> StepPlan:
        """How ``steps`` are served. ``denoiser`` None: the voice's choice (a student distilled for this step
        count, else the teacher). A name forces that denoiser: a student only at its own step count, the
        teacher (any x0 model of continuous time) at any count, e.g. the undistilled teacher at a student's
        step count, the baseline distillation has to beat."""
        if schedule not in ("searched", "uniform"):
            raise ValueError(f"schedule must be 'searched' or 'uniform', got {schedule!r}")
        if denoiser is None:
            if not isinstance(steps, int) or isinstance(steps, bool) or steps not in self.supported_steps:
                raise ValueError(f"--steps {steps} is not supported by this voice; supported: "
                                 f"{', '.join(map(str, self.supported_steps))}")
            # a student distilled for this step count beats the teacher at that count
            entry = next((e for e in self.config.denoisers if e.distilled and steps in e.steps), None)
            entry = entry or next(e for e in self.config.denoisers if steps in e.steps)
        else:
            entry = next((e for e in self.config.denoisers if e.name == denoiser), None)
            if entry is None:
                raise ValueError(f"no denoiser {denoiser!r} in this voice; it has "
                                 f"{', '.join(e.name for e in self.config.denoisers)}")
            if not isinstance(steps, int) or isinstance(steps, bool) or not 1 <= steps <= 1000:
                raise ValueError(f"--steps must be an integer from 1 to 1000, got {steps!r}")
            if entry.distilled and steps not in entry.steps:
                raise ValueError(f"denoiser {entry.name!r} is distilled for {', '.join(map(str, entry.steps))} "
                                 f"step(s), not {steps}")
        found = self.searched.get("schedules", {}).get(f"{entry.name}:{steps}")
        if schedule == "searched" and found:
            masks = found.get("layer_masks")
            return StepPlan(entry.name, tuple(found["timesteps"]),
                            tuple(tuple(bool(b) for b in m) for m in masks) if masks else None, "searched")
        return StepPlan(entry.name, tuple(uniform_timesteps(steps)), None, "uniform")

    # --- synthesis -----------------------------------------------------------------------------------------

    @torch.no_grad()
    def mel_batch(self, texts: Sequence[str], steps: int = 2, seed: int = 0, speed: float = 1.0,
                  schedule: str = "searched", *, stage_timer: StageTimer | None = None,
                  denoiser: str | None = None) -> list[torch.Tensor]:
        """Natural-log mels [n_mels, T_i] of a batch of sentences, one diffusion run for the batch
        (``denoiser``: see :meth:`plan`)."""
        check_speed(speed)
        plan = self.plan(steps, schedule, denoiser)
        with self._text_lock, stage(stage_timer, "frontend"):
            ids = [self.frontend.encode(t) for t in texts]
        return self._mel_ids(ids, plan, seed, speed, stage_timer)

    @torch.no_grad()
    def _mel_ids(self, ids: Sequence[Sequence[int]], plan: StepPlan, seed: int, speed: float,
                 stage_timer: StageTimer | None = None) -> list[torch.Tensor]:
        return self._mel_ids_durations(ids, plan, seed, speed, stage_timer)[0]

    @torch.no_grad()
    def _mel_ids_durations(self, ids: Sequence[Sequence[int]], plan: StepPlan, seed: int,
                           speed: float | Sequence[float], stage_timer: StageTimer | None = None
                           ) -> tuple[list[torch.Tensor], list[list[int]]]:
        """(mels, frames per phoneme) of a batch; ``speed``: one float, or one per sentence."""
        lengths = torch.tensor([len(i) for i in ids], device=self.device)
        phonemes = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long, device=self.device)
        for b, seq in enumerate(ids):
            phonemes[b, : len(seq)] = torch.tensor(seq)
        fpp = self.frames_per_phoneme  # fixed durations: fpp frames on every phoneme, 0 on padding
        fixed = None if fpp is None else (phonemes != 0).long() * fpp
        with stage(stage_timer, "encoder_variance"):
            cond, mask, durations, mel_lengths = self.model.condition_infer(
                phonemes, lengths, speed=float(speed) if isinstance(speed, (int, float)) else list(speed),
                durations=fixed)

        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        shape = (len(ids), self.audio.n_mels, cond.shape[-1])
        noise = torch.randn(shape, generator=gen).to(self.device)
        with stage(stage_timer, "denoiser", len(ids) * cond.shape[-1]):
            # the plan's denoiser is passed, not assigned to the model: concurrent calls with other plans are safe
            denoise = bind_in_dtype(self.denoisers[plan.denoiser], cond, mask, plan.layer_masks)
            mel = ddim_sample(denoise, self.schedule, plan.timesteps, shape, noise=noise, mask=mask)
        mel = mel * self.mel_std + self.mel_mean
        durations = durations.cpu()
        return ([mel[b, :, : int(mel_lengths[b])] for b in range(len(ids))],
                [durations[b, : len(seq)].tolist() for b, seq in enumerate(ids)])

    def load(self) -> "Synthesizer":
        """Load what is otherwise loaded on first use (pronunciation dictionary, espeak, vocoder) and run
        one short synthesis (torch sets up its kernels on the first forward pass), so that the first real
        call costs what every later call does. Returns self."""
        with self._text_lock:
            self.frontend.load()
        self.vocode(self.mel_batch(["a"], steps=min(self.supported_steps)))
        return self

    @property
    def vocoder(self):
        if self._vocoder is None:
            with self._vocoder_lock:
                if self._vocoder is None:
                    self._vocoder = self._load_vocoder()
        return self._vocoder

    def _load_vocoder(self):
        from .vocoders import build_vocoder, load_vocoder

        if self.vocoder_name == "bundle":
            vocoder = load_vocoder(self.bundle_dir / self.config.vocoder)
        elif Path(self.vocoder_name).exists():
            vocoder = load_vocoder(self.vocoder_name)
            if vocoder.audio_config != self.audio:
                raise ValueError(f"vocoder {self.vocoder_name} uses another audio config than the voice")
        else:
            vocoder = build_vocoder(self.vocoder_name, audio_config=self.audio)
        if isinstance(vocoder, torch.nn.Module):
            vocoder.eval().to(self.device)
        return vocoder

    @torch.no_grad()
    def vocode(self, mels: Sequence[torch.Tensor]) -> list[np.ndarray]:
        T = max(m.shape[-1] for m in mels)
        batch = torch.full((len(mels), self.audio.n_mels, T), float(np.log(self.audio.log_clamp)), device=self.device)
        for b, m in enumerate(mels):
            batch[b, :, : m.shape[-1]] = m
        # bf16 for a trained vocoder's network only: Griffin-Lim's FFTs stay float32
        neural = isinstance(self.vocoder, torch.nn.Module) and any(True for _ in self.vocoder.parameters())
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16" and neural):
            wav = self.vocoder(batch)
        hop = self.audio.hop_length
        return [wav[b, : m.shape[-1] * hop].float().cpu().numpy() for b, m in enumerate(mels)]

    def stream(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, schedule: str = "searched",
               batch_size: int = 8, *, ssml: bool | None = None,
               stage_timer: StageTimer | None = None) -> Iterator[np.ndarray]:
        """The waveform of a long text piece by piece: one float32 array per batch of ``batch_size`` sentences,
        the pauses between sentences included, so that concatenating the pieces gives :meth:`synthesize`'s
        waveform. Memory is bounded by one batch, whatever the length of the text; ``batch_size=1`` yields
        one piece per sentence (the shortest time to the first audio). Each batch draws its noise from
        ``seed`` plus the index of its first sentence, so the audio depends on ``batch_size``.

        Markup (docs/text.md): inline ``[[PHONEMES]]`` always; SSML-lite when the text starts with ``<speak>``
        (``ssml=None``), always (``True``) or never (``False``). A ``<break>`` replaces the pause after its
        sentence (a break before any speech is leading silence, one after the last sentence trailing
        silence); ``<prosody rate>`` multiplies ``speed`` for its sentences.

        Everything is checked before this returns (steps, schedule, speed, batch size, the markup, and that
        the text has something speakable: ``UnspeakableTextError`` otherwise; ``MarkupError`` /
        ``PronunciationError``, ValueErrors, for bad markup), so a caller can open its output after the call
        and before the first piece. Warnings about dropped characters or ignored markup are issued once,
        here. ``stage_timer``: see :data:`StageTimer`."""
        return audio_pieces(self._timed(text, steps, seed, speed, schedule, batch_size, ssml, stage_timer, timed=False))

    def _timed(self, text: str, steps: int, seed: int, speed: float, schedule: str, batch_size: int,
               ssml: bool | None, stage_timer: StageTimer | None, timed: bool) -> Iterator[TimedPiece]:
        """The checks and the frontend now (warnings attributed to the caller of the public method that called
        this), the pieces lazily."""
        plan, script = self._prepare(text, steps, speed, schedule, batch_size, stage_timer, ssml, stacklevel=4)
        return assemble_pieces(script, self._unit_batches(script, plan, seed, batch_size, stage_timer), self.vocode,
                               self.audio.sample_rate, self.audio.hop_length, stage_timer, timed)

    def stream_with_timestamps(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0,
                               schedule: str = "searched", batch_size: int = 8, *, ssml: bool | None = None,
                               stage_timer: StageTimer | None = None) -> Iterator[TimedPiece]:
        """:meth:`stream` with timings: one :class:`TimedPiece` ``(audio, words, phonemes)`` per piece, the
        same audio, and the :class:`~prodiff_tts.timestamps.WordTiming` / ``PhonemeTiming`` of the words and
        phonemes spoken in it, in seconds from the start of the whole audio. Timings come from the frame
        durations the synthesis used (speed, prosody rate, pauses and breaks included): a word starts with its
        first phoneme and ends with its last; boundary tokens (punctuation, pauses) are phoneme timings with
        ``word == -1``."""
        return self._timed(text, steps, seed, speed, schedule, batch_size, ssml, stage_timer, timed=True)

    def stream_mels(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, schedule: str = "searched",
                    batch_size: int = 8, *, ssml: bool | None = None,
                    stage_timer: StageTimer | None = None) -> Iterator[list[torch.Tensor]]:
        """What :meth:`stream` vocodes: the natural-log mels [n_mels, T_i] of the text's speakable sentences,
        one list per batch of ``batch_size`` sentences (the same checks, warnings, noise and mels; silence
        is not in them)."""
        plan, script = self._prepare(text, steps, speed, schedule, batch_size, stage_timer, ssml)
        return (mels for _, mels, _ in self._unit_batches(script, plan, seed, batch_size, stage_timer))

    def _prepare(self, text: str, steps: int, speed: float, schedule: str, batch_size: int,
                 stage_timer: StageTimer | None, ssml: bool | None = None,
                 stacklevel: int = 3) -> tuple[StepPlan, Script]:
        """(step plan, speakable sentences and silences) after every check; the frontend's warnings are
        issued once each, attributed to the caller of :meth:`stream` / :meth:`stream_mels`."""
        from .text import UnspeakableTextError

        check_speed(speed)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        if ssml is not None and not isinstance(ssml, bool):
            raise ValueError(f"ssml must be True, False or None (auto), got {ssml!r}")
        plan = self.plan(steps, schedule)
        error: Exception | None = None
        rendered: list = []  # phonemes and ids of the sentences: small next to their audio
        with self._text_lock, stage(stage_timer, "frontend"), warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                rendered = self.frontend.render(text, ssml=ssml)
            except UnspeakableTextError:
                error = UnspeakableTextError(f"nothing speakable in the text: {text[:60]!r}")
            except ValueError as e:  # bad markup: one line, after the warnings of what came before it
                error = e
        for message, category in sorted({(str(c.message), c.category) for c in caught}, key=lambda m: m[0]):
            warnings.warn(message, category, stacklevel=stacklevel)
        if error is not None:
            raise error
        return plan, build_script(rendered, speed, self.audio.sample_rate)

    def _unit_batches(self, script: Script, plan: StepPlan, seed: int, batch_size: int,
                      stage_timer: StageTimer | None
                      ) -> Iterator[tuple[list[SpeechUnit], list[torch.Tensor], list[list[int]]]]:
        """(units, mels, frames per phoneme) per batch; the noise of a batch comes from ``seed`` plus the index
        of its first sentence. Sentences of one batch may have different speeds (prosody rates)."""
        units = script.units
        for start in range(0, len(units), batch_size):
            batch = units[start : start + batch_size]
            speeds = [u.speed for u in batch]
            speed = speeds[0] if all(s == speeds[0] for s in speeds) else speeds
            mels, durations = self._mel_ids_durations([u.ids for u in batch], plan, seed + start, speed, stage_timer)
            yield batch, mels, durations

    def synthesize(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, schedule: str = "searched",
                   batch_size: int = 8, *, ssml: bool | None = None,
                   stage_timer: StageTimer | None = None) -> tuple[np.ndarray, int]:
        """Waveform (float32 in [-1, 1]) and sample rate. Long text is split into sentences, synthesized in
        batches and joined with short pauses (see :meth:`stream` to get it piece by piece in bounded
        memory, and for the markup ``ssml`` controls). Raises ``UnspeakableTextError`` when nothing is
        speakable. ``stage_timer``: see :data:`StageTimer`."""
        pieces = self._timed(text, steps, seed, speed, schedule, batch_size, ssml, stage_timer, timed=False)
        return join_pieces(pieces, self.audio.sample_rate).audio, self.audio.sample_rate

    def synthesize_with_timestamps(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0,
                                   schedule: str = "searched", batch_size: int = 8, *, ssml: bool | None = None,
                                   stage_timer: StageTimer | None = None) -> TimedSpeech:
        """:meth:`synthesize` (the same waveform) with the timings of its words and phonemes:
        ``TimedSpeech(audio, sample_rate, words, phonemes)``; see :meth:`stream_with_timestamps`."""
        pieces = self._timed(text, steps, seed, speed, schedule, batch_size, ssml, stage_timer, timed=True)
        return join_pieces(pieces, self.audio.sample_rate)

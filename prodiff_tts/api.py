"""Python API: ``Synthesizer.from_pretrained(path).synthesize(text, steps=2) -> (waveform, sample_rate)``.

Loads a bundle (safetensors + YAML/JSON) with plain torch: no Lightning, no Hydra, no pickle.
"""

from __future__ import annotations

import os
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from .bundle import BundleError, audio_config, load_state, load_weights, read_bundle_config, read_json
from .diffusion.sampler import ddim_sample
from .diffusion.schedule import schedule_from_config, uniform_timesteps
from .voices import DEFAULT_VOICE, default_model_path  # noqa: F401  (re-exported: the API's default voice)

PAUSE_SECONDS = 0.15  # silence inserted between sentences of a long text


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
    ``untrained_vocoder_ok`` (speed measurements with random weights)."""

    def __init__(self, bundle_dir: str | Path, device: str = "cpu", vocoder: str | None = None,
                 untrained_vocoder_ok: bool = False) -> None:
        from .models.acoustic import AcousticModel
        from .models.config import AcousticConfig
        from .models.denoiser import WaveNetDenoiser
        from .text import TextFrontend, Vocab

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
        load_state(self.model, state, "acoustic model")
        self.model.eval().to(self.device)
        self.vocab = Vocab.load(self.bundle_dir / "vocab.json")
        if len(self.vocab) != self.config.n_symbols:
            raise BundleError(f"vocab.json has {len(self.vocab)} symbols, the model {self.config.n_symbols}")
        stats = read_json(self.bundle_dir / "stats.json")
        self.mel_mean = torch.tensor(stats["mel_mean"], device=self.device).view(1, -1, 1)
        self.mel_std = torch.tensor(stats["mel_std"], device=self.device).view(1, -1, 1)
        self.frontend = TextFrontend(self.vocab)
        self.schedule = schedule_from_config(self.config.diffusion)
        path = self.bundle_dir / "schedule.json"
        self.searched: dict = read_json(path) if path.exists() else {}
        # the voice's default: its model card's choice ("default_vocoder" in config.yaml's extra), else its own
        # vocoder when it has one, else Griffin-Lim
        default = self.config.extra.get("default_vocoder") or ("bundle" if self.config.vocoder else "griffin-lim")
        self.vocoder_name = vocoder or default
        self._check_vocoder(untrained_vocoder_ok)
        self._vocoder = None
        self._vocoder_lock = threading.Lock()
        # espeak (through phonemizer) and warnings.catch_warnings are process-wide state: one text at a time
        self._text_lock = threading.Lock()

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
                        untrained_vocoder_ok: bool = False) -> "Synthesizer":
        if path is None:
            path = default_model_path()
            if not path.is_dir():
                raise BundleError(f"no voice at {path}: pass --model BUNDLE (from `tts export`) or set "
                                  f"PRODIFF_TTS_MODEL")
        return cls(path, device=device, vocoder=vocoder, untrained_vocoder_ok=untrained_vocoder_ok)

    # --- step plans ----------------------------------------------------------------------------------------

    @property
    def supported_steps(self) -> list[int]:
        return sorted({k for e in self.config.denoisers for k in e.steps})

    def plan(self, steps: int, schedule: str = "searched") -> StepPlan:
        if schedule not in ("searched", "uniform"):
            raise ValueError(f"schedule must be 'searched' or 'uniform', got {schedule!r}")
        if not isinstance(steps, int) or isinstance(steps, bool) or steps not in self.supported_steps:
            raise ValueError(f"--steps {steps} is not supported by this voice; supported: "
                             f"{', '.join(map(str, self.supported_steps))}")
        # a student distilled for this step count beats the teacher at that count
        entry = next((e for e in self.config.denoisers if e.distilled and steps in e.steps), None)
        entry = entry or next(e for e in self.config.denoisers if steps in e.steps)
        found = self.searched.get("schedules", {}).get(f"{entry.name}:{steps}")
        if schedule == "searched" and found:
            masks = found.get("layer_masks")
            return StepPlan(entry.name, tuple(found["timesteps"]),
                            tuple(tuple(bool(b) for b in m) for m in masks) if masks else None, "searched")
        return StepPlan(entry.name, tuple(uniform_timesteps(steps)), None, "uniform")

    # --- synthesis -----------------------------------------------------------------------------------------

    @torch.no_grad()
    def mel_batch(self, texts: Sequence[str], steps: int = 2, seed: int = 0, speed: float = 1.0,
                  schedule: str = "searched") -> list[torch.Tensor]:
        """Natural-log mels [n_mels, T_i] of a batch of sentences, one diffusion run for the batch."""
        self._check_speed(speed)
        plan = self.plan(steps, schedule)
        with self._text_lock:
            ids = [self.frontend.encode(t) for t in texts]
        return self._mel_ids(ids, plan, seed, speed)

    @staticmethod
    def _check_speed(speed: float) -> None:
        if not (isinstance(speed, (int, float)) and not isinstance(speed, bool) and 0.1 <= speed <= 10.0):
            raise ValueError(f"speed must be between 0.1 and 10, got {speed}")

    @torch.no_grad()
    def _mel_ids(self, ids: Sequence[Sequence[int]], plan: StepPlan, seed: int, speed: float) -> list[torch.Tensor]:
        lengths = torch.tensor([len(i) for i in ids], device=self.device)
        phonemes = torch.zeros(len(ids), int(lengths.max()), dtype=torch.long, device=self.device)
        for b, seq in enumerate(ids):
            phonemes[b, : len(seq)] = torch.tensor(seq)
        cond, mask, _, mel_lengths = self.model.condition_infer(phonemes, lengths, speed=float(speed))
        # the plan's denoiser is passed, not assigned to the model: concurrent calls with other plans are safe
        denoise = self.denoisers[plan.denoiser].bind(cond, mask, plan.layer_masks)

        gen = torch.Generator(device="cpu").manual_seed(int(seed))
        shape = (len(ids), self.audio.n_mels, cond.shape[-1])
        noise = torch.randn(shape, generator=gen).to(self.device)
        mel = ddim_sample(denoise, self.schedule, plan.timesteps, shape, noise=noise, mask=mask)
        mel = mel * self.mel_std + self.mel_mean
        return [mel[b, :, : int(mel_lengths[b])] for b in range(len(ids))]

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
        wav = self.vocoder(batch)
        hop = self.audio.hop_length
        return [wav[b, : m.shape[-1] * hop].float().cpu().numpy() for b, m in enumerate(mels)]

    def stream(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, schedule: str = "searched",
               batch_size: int = 8) -> Iterator[np.ndarray]:
        """The waveform of a long text piece by piece: one float32 array per batch of ``batch_size`` sentences,
        the pauses between sentences included, so that concatenating the pieces gives :meth:`synthesize`'s
        waveform. Memory is bounded by one batch, whatever the length of the text; ``batch_size=1`` yields
        one piece per sentence (the shortest time to the first audio). Each batch draws its noise from
        ``seed`` plus the index of its first sentence, so the audio depends on ``batch_size``.

        Everything is checked before this returns (steps, schedule, speed, batch size, and that the text has
        something speakable: ``UnspeakableTextError`` otherwise), so a caller can open its output after the
        call and before the first piece. Warnings about dropped characters are issued once, here."""
        from .text import UnspeakableTextError, split_sentences

        self._check_speed(speed)
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        plan = self.plan(steps, schedule)
        ids: list[list[int]] = []  # phoneme ids of the speakable sentences: small next to their audio
        with self._text_lock, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for s in split_sentences(text):
                try:
                    ids.append(self.frontend.encode(s))
                except UnspeakableTextError:
                    continue
        for w in sorted({str(c.message) for c in caught}):
            warnings.warn(w, stacklevel=2)
        if not ids:
            raise UnspeakableTextError(f"nothing speakable in the text: {text[:60]!r}")
        return self._stream(ids, plan, seed, speed, batch_size)

    def _stream(self, ids: list[list[int]], plan: StepPlan, seed: int, speed: float,
                batch_size: int) -> Iterator[np.ndarray]:
        pause = np.zeros(int(PAUSE_SECONDS * self.audio.sample_rate), dtype=np.float32)
        for start in range(0, len(ids), batch_size):
            wavs = self.vocode(self._mel_ids(ids[start : start + batch_size], plan, seed + start, speed))
            pieces: list[np.ndarray] = []
            for wav in wavs:
                if start or pieces:
                    pieces.append(pause)
                pieces.append(wav)
            yield np.concatenate(pieces).astype(np.float32, copy=False)

    def synthesize(self, text: str, steps: int = 2, seed: int = 0, speed: float = 1.0, schedule: str = "searched",
                   batch_size: int = 8) -> tuple[np.ndarray, int]:
        """Waveform (float32 in [-1, 1]) and sample rate. Long text is split into sentences, synthesized in
        batches and joined with short pauses (see :meth:`stream` to get it piece by piece in bounded
        memory). Raises ``UnspeakableTextError`` when nothing is speakable."""
        pieces = list(self.stream(text, steps, seed, speed, schedule, batch_size))
        return np.concatenate(pieces).astype(np.float32, copy=False), self.audio.sample_rate

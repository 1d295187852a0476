"""Data for vocoder training: random fixed-length waveform segments with their log-mels.

Two sources of mels:

* computed from the audio segment with :class:`~prodiff_tts.audio.mel.MelSpectrogram` (ordinary training);
* read from ``.npy`` files (``[n_mels, T]`` or ``[T, n_mels]``, natural-log mel in the same scale as
  MelSpectrogram, *not* normalised) paired with the recording, frame ``t`` of the mel describing samples
  ``[t * hop, (t + 1) * hop)`` — for fine-tuning on the acoustic model's teacher-forced output.

Segments start on a hop boundary, so mel and audio stay aligned frame by frame. Validation items are
whole clips (optionally capped to ``val_max_seconds``), batch size 1.

Audio goes through the same clean-up as ``tts prepare`` did for the acoustic model's features, read from
the manifest and ``prepare.json``: the silence trim of each row (``"trim": [start_s, end_s]``) and, when
the cache was made with ``loudness_dbfs``, loudness normalisation of the trimmed clip. So the vocoder
sees mels of the same level and extent as the ones the acoustic model learns and generates.
"""

from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

import lightning as L
import numpy as np
import soundfile as sf
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset

from ..audio.config import AudioConfig
from ..audio.io import read_wav, resample
from ..audio.mel import MelSpectrogram
from ..audio.processing import normalize_loudness
from ..data.dataset import read_manifest

__all__ = [
    "AudioItem",
    "read_audio",
    "load_mel_npy",
    "SegmentDataset",
    "ClipDataset",
    "VocoderDataModule",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AudioItem:
    wav: str
    mel: str | None = None  # paired .npy mel (fine-tuning) or None (compute from audio)
    id: str = ""
    trim: tuple[float, float] | None = None  # (start_s, end_s) kept of the (resampled) recording


def read_audio(
    path: str | os.PathLike,
    sample_rate: int,
    trim: tuple[float, float] | None = None,
    loudness_dbfs: float | None = None,
) -> np.ndarray:
    """Mono float32 waveform at ``sample_rate`` (soundfile to read, soxr to resample if needed), cut to
    ``trim`` seconds and loudness-normalised as ``tts prepare`` does when those are given."""
    wav, sr = read_wav(path, allow_multichannel=True)
    wav = resample(wav, sr, sample_rate)
    if trim is not None:
        a, b = _trim_samples(trim, sample_rate, len(wav))
        wav = wav[a:b]
    if loudness_dbfs is not None:
        wav = normalize_loudness(wav, float(loudness_dbfs))
    return np.ascontiguousarray(wav, dtype=np.float32)


def _trim_samples(trim: tuple[float, float], sample_rate: int, n: int) -> tuple[int, int]:
    a = min(max(0, int(round(trim[0] * sample_rate))), n)
    b = min(max(a, int(round(trim[1] * sample_rate))), n)
    return a, b


def load_mel_npy(path: str | os.PathLike, n_mels: int) -> np.ndarray:
    """[n_mels, T] float32 from an .npy holding [n_mels, T] or [T, n_mels] (no pickle)."""
    m = np.load(str(path), allow_pickle=False)
    if m.ndim == 3 and m.shape[0] == 1:
        m = m[0]
    if m.ndim != 2:
        raise ValueError(f"{path}: expected a 2-D mel, got shape {m.shape}")
    if m.shape[0] != n_mels and m.shape[1] == n_mels:
        m = m.T
    if m.shape[0] != n_mels:
        raise ValueError(f"{path}: no axis of size n_mels={n_mels} in shape {m.shape}")
    return np.ascontiguousarray(m, dtype=np.float32)


def _paired(item: AudioItem, wav: np.ndarray, config: AudioConfig, tolerance: int) -> tuple[np.ndarray, np.ndarray]:
    mel = load_mel_npy(item.mel, config.n_mels)
    frames_wav = len(wav) // config.hop_length
    if abs(mel.shape[1] - frames_wav) > tolerance:
        raise ValueError(
            f"{item.mel}: {mel.shape[1]} mel frames but {item.wav} has {frames_wav} frames "
            f"(tolerance {tolerance}); the mel must be teacher-forced on this recording's durations"
        )
    frames = min(mel.shape[1], frames_wav)
    return wav[: frames * config.hop_length], mel[:, :frames]


class _AudioDataset(Dataset):
    def __init__(
        self,
        items: Sequence[AudioItem],
        config: AudioConfig,
        cache_audio: bool = False,
        mel_length_tolerance: int = 2,
        loudness_dbfs: float | None = None,
    ) -> None:
        if not items:
            raise ValueError("no audio files")
        self.items = list(items)
        self.config = config
        self.mel = MelSpectrogram(config)
        self.loudness_dbfs = loudness_dbfs
        self.cache_audio = cache_audio
        self.mel_length_tolerance = mel_length_tolerance
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.items)

    def _wav(self, i: int) -> np.ndarray:
        if i in self._cache:
            return self._cache[i]
        item = self.items[i]
        wav = read_audio(item.wav, self.config.sample_rate, item.trim, self.loudness_dbfs)
        if self.cache_audio:
            self._cache[i] = wav
        return wav


class SegmentDataset(_AudioDataset):
    """Random ``segment_size``-sample segments (hop-aligned start; zero/floor padded when the clip is
    shorter) -> ``{"wav": [segment_size], "mel": [n_mels, segment_size // hop]}``."""

    def __init__(self, items: Sequence[AudioItem], config: AudioConfig, segment_size: int = 8192,
                 generated_mel_fraction: float = 1.0, **kw: Any) -> None:
        super().__init__(items, config, **kw)
        if not 0.0 <= generated_mel_fraction <= 1.0:
            raise ValueError(f"generated_mel_fraction {generated_mel_fraction} is not in [0, 1]")
        # share of segments drawn with an item's paired (generated) mel; the rest use the recording's own
        # mel, so that a vocoder fine-tuned for the acoustic model keeps resynthesizing recordings
        self.generated_mel_fraction = generated_mel_fraction
        if segment_size <= 0 or segment_size % config.hop_length:
            raise ValueError(f"segment_size {segment_size} must be a positive multiple of hop {config.hop_length}")
        self.segment_size = segment_size
        self.segment_frames = segment_size // config.hop_length

    def _read_segment(self, item: AudioItem) -> torch.Tensor | None:
        """Read only the segment when no resampling is needed; None: read the whole file instead."""
        try:
            info = sf.info(item.wav)
        except (sf.LibsndfileError, RuntimeError, OSError):
            return None  # read_wav reports it properly
        if info.samplerate != self.config.sample_rate or info.frames == 0:
            return None
        a, b = (0, info.frames) if item.trim is None else _trim_samples(item.trim, info.samplerate, info.frames)
        hop, seg_f = self.config.hop_length, self.segment_frames
        frames = (b - a) // hop
        start = int(torch.randint(0, frames - seg_f + 1, ()).item()) if frames > seg_f else 0
        n = min(self.segment_size, b - a - start * hop)
        data, _ = sf.read(item.wav, start=a + start * hop, frames=n, dtype="float32", always_2d=True)
        wav = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
        return torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        c, item = self.config, self.items[i]
        hop, seg_f = c.hop_length, self.segment_frames
        if item.mel is not None and self.generated_mel_fraction < 1.0 \
                and float(torch.rand(())) >= self.generated_mel_fraction:
            item = replace(item, mel=None)
        if item.mel is None and not self.cache_audio and self.loudness_dbfs is None:
            seg = self._read_segment(item)
            if seg is not None:
                return self._with_mel(seg)
        wav = self._wav(i)
        if item.mel is not None:
            wav, mel = _paired(item, wav, c, self.mel_length_tolerance)
            frames = mel.shape[1]
            start = int(torch.randint(0, frames - seg_f + 1, ()).item()) if frames > seg_f else 0
            w = torch.from_numpy(wav[start * hop : (start + seg_f) * hop].copy())
            m = torch.from_numpy(mel[:, start : start + seg_f].copy())
            if m.shape[1] < seg_f:
                m = F.pad(m, (0, seg_f - m.shape[1]), value=math.log(c.log_clamp))
            w = F.pad(w, (0, self.segment_size - w.shape[0]))
            return {"wav": w, "mel": m}
        frames = len(wav) // hop
        start = int(torch.randint(0, frames - seg_f + 1, ()).item()) if frames > seg_f else 0
        w = torch.from_numpy(wav[start * hop : start * hop + self.segment_size].copy())
        return self._with_mel(w)

    def _with_mel(self, w: torch.Tensor) -> dict[str, torch.Tensor]:
        w = F.pad(w, (0, self.segment_size - w.shape[0]))
        with torch.no_grad():
            m = self.mel(w.unsqueeze(0))[0]
        return {"wav": w, "mel": m}


class ClipDataset(_AudioDataset):
    """Whole clips (first ``max_seconds`` if set) -> ``{"wav": [frames * hop], "mel": [n_mels, frames], "id"}``."""

    def __init__(self, items: Sequence[AudioItem], config: AudioConfig, max_seconds: float | None = None, **kw: Any):
        super().__init__(items, config, **kw)
        self.max_frames = None if max_seconds is None else max(1, int(max_seconds * config.frames_per_second))

    def __getitem__(self, i: int) -> dict[str, Any]:
        c, item = self.config, self.items[i]
        wav = self._wav(i)
        if item.mel is not None:
            wav, mel = _paired(item, wav, c, self.mel_length_tolerance)
            m = torch.from_numpy(mel)
        else:
            frames = len(wav) // c.hop_length
            wav = wav[: frames * c.hop_length]
            with torch.no_grad():
                m = self.mel(torch.from_numpy(wav).unsqueeze(0))[0]
        w = torch.from_numpy(np.ascontiguousarray(wav))
        if self.max_frames is not None and m.shape[1] > self.max_frames:
            m = m[:, : self.max_frames]
            w = w[: self.max_frames * c.hop_length]
        return {"wav": w, "mel": m, "id": item.id or Path(item.wav).stem}


class VocoderDataModule(L.LightningDataModule):
    """Train: random segments, shuffled, ``batch_size``; val: up to ``val_clips`` whole clips, batch 1.

    ``train``/``val`` are lists of wav paths or :class:`AudioItem` (with a paired mel for fine-tuning).
    """

    def __init__(
        self,
        train: Sequence[str | os.PathLike | AudioItem],
        val: Sequence[str | os.PathLike | AudioItem] = (),
        audio_config: AudioConfig | None = None,
        segment_size: int = 8192,
        batch_size: int = 16,
        num_workers: int = 0,
        val_clips: int = 4,
        val_max_seconds: float | None = 10.0,
        cache_audio: bool = False,
        pin_memory: bool = False,
        mel_length_tolerance: int = 2,
        loudness_dbfs: float | None = None,
        generated_mel_fraction: float = 1.0,
    ) -> None:
        super().__init__()
        self.generated_mel_fraction = generated_mel_fraction
        self.loudness_dbfs = loudness_dbfs
        self.audio_config = audio_config or AudioConfig()
        self.train_items = [self._item(x) for x in train]
        self.val_items = [self._item(x) for x in val]
        if not self.train_items:
            raise ValueError("no training audio")
        if not self.val_items:
            n = min(val_clips, max(1, len(self.train_items) // 10))
            log.warning("no validation clips given: holding out the last %d training clip(s)", n)
            self.val_items = self.train_items[-n:]
            if len(self.train_items) > n:
                self.train_items = self.train_items[:-n]
        self.val_items = self.val_items[:val_clips] if val_clips > 0 else self.val_items
        self.segment_size = segment_size
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.val_max_seconds = val_max_seconds
        self.cache_audio = cache_audio
        self.pin_memory = pin_memory
        self.mel_length_tolerance = mel_length_tolerance
        self.train_set: SegmentDataset | None = None
        self.val_set: ClipDataset | None = None

    @staticmethod
    def _item(x: str | os.PathLike | AudioItem) -> AudioItem:
        return x if isinstance(x, AudioItem) else AudioItem(wav=str(x), id=Path(x).stem)

    @classmethod
    def from_manifest(
        cls,
        manifest: str | os.PathLike,
        mel_dir: str | os.PathLike | None = None,
        train_split: str = "train",
        val_split: str = "val",
        **kwargs: Any,
    ) -> "VocoderDataModule":
        """From a ``manifest.jsonl`` (rows' ``trim`` applied; ``loudness_dbfs`` taken from the
        ``prepare.json`` beside it unless given); with ``mel_dir``, each row is paired with
        ``{mel_dir}/{id}.npy``."""
        rows = read_manifest(manifest, resolve_wav=True)
        prep = Path(manifest).parent / "prepare.json"
        if "loudness_dbfs" not in kwargs and prep.is_file():
            kwargs["loudness_dbfs"] = json.loads(prep.read_text()).get("loudness_dbfs")

        def items(split: str) -> list[AudioItem]:
            out = []
            for r in rows:
                if r.get("split", "train") != split:
                    continue
                rid = str(r.get("id", Path(r["wav"]).stem))
                mel = None if mel_dir is None else str(Path(mel_dir) / f"{rid}.npy")
                trim = r.get("trim")
                trim = (float(trim[0]), float(trim[1])) if trim else None
                out.append(AudioItem(wav=r["wav"], mel=mel, id=rid, trim=trim))
            return out

        return cls(items(train_split), items(val_split), **kwargs)

    def setup(self, stage: str | None = None) -> None:
        kw = dict(
            cache_audio=self.cache_audio,
            mel_length_tolerance=self.mel_length_tolerance,
            loudness_dbfs=self.loudness_dbfs,
        )
        if self.train_set is None:
            self.train_set = SegmentDataset(self.train_items, self.audio_config, self.segment_size,
                                            generated_mel_fraction=self.generated_mel_fraction, **kw)
        if self.val_set is None:
            self.val_set = ClipDataset(self.val_items, self.audio_config, self.val_max_seconds, **kw)

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            shuffle=True,
            drop_last=len(self.train_set) >= self.batch_size,
            num_workers=self.num_workers,
            pin_memory=self.pin_memory,
            persistent_workers=self.num_workers > 0,
        )

    def val_dataloader(self) -> DataLoader:
        assert self.val_set is not None
        return DataLoader(self.val_set, batch_size=1, shuffle=False, num_workers=0)

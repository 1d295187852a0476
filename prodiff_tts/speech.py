"""What one synthesis call is made of, apart from the models: the optional per-stage timer, the speakable
sentences with the silences between them (:func:`build_script`), and the timed pieces it yields
(:func:`assemble_pieces`). numpy and the standard library only: the torch ``Synthesizer`` and the torch-free
``OnnxVoice`` share it."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, NamedTuple, Sequence

import numpy as np

from .timestamps import PhonemeTiming, WordTiming, sentence_timings

if TYPE_CHECKING:
    from .text import Phonemized

PAUSE_SECONDS = 0.15  # silence inserted between sentences of a long text (unless SSML asks for a <break>)

STAGES = ("frontend", "encoder_variance", "denoiser", "vocoder")
StageTimer = Callable[[str, int], AbstractContextManager]
"""The optional ``stage_timer`` of the synthesis methods, e.g. the benchmark's recorder: called as
``stage_timer(stage, frames)``, it returns a context manager that the call runs one stage inside. ``stage``
is one of :data:`STAGES`: "frontend" (sentence split, speakability check and G2P of the whole text, once per
call), then per batch of sentences "encoder_variance" (encoder and variance adaptor), "denoiser" (the
diffusion sampling: the denoiser's condition projection and steps and the DDIM updates between them) and
"vocoder". ``frames``: for "denoiser" the frames it runs on, padding included (batch x padded length: what
its FLOPs scale with); for "vocoder" the frames of speech it turns into audio (``frames x hop`` samples, the
batch's padding and the pauses between sentences excluded); 0 for "frontend" and "encoder_variance" (not
known before they run). Passed per call, never stored on the Synthesizer, so threads may time their own
calls; None (the default) costs nothing."""


def check_speed(speed: float) -> None:
    """The ``speed`` of a call: a number from 0.1 to 10 (ValueError otherwise)."""
    if isinstance(speed, bool) or not isinstance(speed, (int, float)) or not 0.1 <= speed <= 10.0:
        raise ValueError(f"speed must be between 0.1 and 10, got {speed}")


def stage(timer: StageTimer | None, name: str, frames: int = 0) -> AbstractContextManager:
    """``timer(name, frames)``, or a context that does nothing when no timer was given."""
    return nullcontext() if timer is None else timer(name, frames)


class TimedPiece(NamedTuple):
    """A piece of :meth:`Synthesizer.stream_with_timestamps`: its audio and the timings of the words and
    phonemes in it, in seconds from the start of the whole audio (not of the piece)."""

    audio: np.ndarray
    words: list[WordTiming]
    phonemes: list[PhonemeTiming]


class TimedSpeech(NamedTuple):
    """What :meth:`Synthesizer.synthesize_with_timestamps` returns."""

    audio: np.ndarray
    sample_rate: int
    words: list[WordTiming]
    phonemes: list[PhonemeTiming]


@dataclass(frozen=True)
class SpeechUnit:
    """A speakable sentence of one call: its phonemes and ids, its speed (the call's ``speed`` times the
    unit's prosody rate) and the samples of silence before it (the pause after the sentence before, a
    ``<break>``)."""

    ids: list[int]
    phonemized: "Phonemized"
    speed: float
    silence_before: int


@dataclass(frozen=True)
class Script:
    """The speakable sentences of one call and the silence after the last one (a trailing ``<break>``)."""

    units: list[SpeechUnit]
    trailing: int


def build_script(rendered: Sequence, speed: float, sample_rate: int) -> Script:
    """Rendered units -> speakable units with the silence before each: a unit's ``break_after`` when it
    asks for one, else :data:`PAUSE_SECONDS` between two sentences."""
    sr = sample_rate
    pause = int(PAUSE_SECONDS * sr)
    units: list[SpeechUnit] = []
    pending = 0  # samples of silence before the next speakable unit
    for r in rendered:
        if not r.is_silence:
            units.append(SpeechUnit(r.ids, r.phonemized, speed * r.rate, pending))
            pending = 0
        if r.break_after > 0:
            pending += int(round(r.break_after * sr))
        elif not r.is_silence:
            pending += pause
    trailing = pending if not units or rendered[-1].break_after > 0 else 0
    return Script(units, trailing)


def assemble_pieces(script: Script, batches: Iterable[tuple[list[SpeechUnit], Sequence[Any], list[list[int]]]],
                    vocode: Callable[[Sequence[Any]], list[np.ndarray]], sample_rate: int, hop_length: int,
                    stage_timer: StageTimer | None, timed: bool) -> Iterator[TimedPiece]:
    """The pieces of a call: one :class:`TimedPiece` per batch of ``batches`` ``(units, mels, frames per
    phoneme)``, its sentences vocoded by ``vocode(mels) -> waveforms`` (in the "vocoder" stage) with the silence
    before each sentence, the trailing silence after the last, and (``timed``) the word and phoneme timings of
    the piece, in seconds from the start of the whole audio. Mels are anything with a frame axis last (torch
    tensors, numpy arrays): only their lengths are read here. A script without sentences is one silent piece."""
    silences: dict[int, np.ndarray] = {}

    def silence(n: int) -> np.ndarray:
        if n not in silences:
            silences[n] = np.zeros(n, dtype=np.float32)
        return silences[n]

    pos = 0  # samples before the current piece's next sample
    done = n_words = 0
    for batch, mels, durations in batches:
        with stage(stage_timer, "vocoder", sum(int(m.shape[-1]) for m in mels)):
            wavs = vocode(mels)
        pieces: list[np.ndarray] = []
        words: list[WordTiming] = []
        phonemes: list[PhonemeTiming] = []
        for unit, wav, frames in zip(batch, wavs, durations):
            if unit.silence_before:
                pieces.append(silence(unit.silence_before))
                pos += unit.silence_before
            if timed:
                ph = unit.phonemized
                w, p = sentence_timings(ph.phonemes, ph.word_index, ph.words, frames, pos, pos + len(wav),
                                        hop_length, sample_rate, sentence=done, first_word=n_words)
                words += w
                phonemes += p
                n_words += len(w)
            pieces.append(wav)
            pos += len(wav)
            done += 1
        if done == len(script.units) and script.trailing:
            pieces.append(silence(script.trailing))
        yield TimedPiece(np.concatenate(pieces).astype(np.float32, copy=False), words, phonemes)
    if not script.units:  # only silence was asked for
        yield TimedPiece(silence(script.trailing).copy(), [], [])


def audio_pieces(pieces: Iterator[TimedPiece]) -> Iterator[np.ndarray]:
    """The audio of timed pieces, piece by piece; closing this closes ``pieces``."""
    try:
        for piece in pieces:
            yield piece.audio
    finally:
        pieces.close()  # type: ignore[attr-defined]


def join_pieces(pieces: Iterable[TimedPiece], sample_rate: int) -> TimedSpeech:
    """The whole audio and every timing of a call's pieces."""
    audio: list[np.ndarray] = []
    words: list[WordTiming] = []
    phonemes: list[PhonemeTiming] = []
    for piece in pieces:
        audio.append(piece.audio)
        words += piece.words
        phonemes += piece.phonemes
    return TimedSpeech(np.concatenate(audio).astype(np.float32, copy=False), int(sample_rate), words, phonemes)

"""What one synthesis call is made of, apart from the models: the optional per-stage timer, the speakable
sentences with the silences between them (:func:`build_script`), and the timed pieces it yields."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, NamedTuple, Sequence

import numpy as np

from .timestamps import PhonemeTiming, WordTiming

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

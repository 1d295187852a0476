"""Word and phoneme timestamps from the frame durations a synthesis used.

A duration-based voice knows when each phoneme is spoken: phoneme ``j`` of a sentence whose audio starts at
sample ``s`` lasts ``durations[j]`` frames of ``hop_length`` samples (after the speaking rate), so it starts
``s + hop_length * sum(durations[:j])`` samples in. A word spans its phonemes; boundary tokens (punctuation,
pauses; ``word_index == -1``) belong to no word, but their time counts. The silence between sentences and the
breaks of SSML are in the offsets ``s``. Only the standard library: the CLI, the server and the API share it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

__all__ = ["PhonemeTiming", "WordTiming", "sentence_timings", "timestamps_document", "timestamps_json"]


@dataclass(frozen=True)
class WordTiming:
    """One word: its text (as the frontend read it: "doctor", "twenty", or the phonemes of an inline
    ``[[...]]``), start and end in seconds from the start of the audio, and the index of its sentence (unit)
    in the call."""

    word: str
    start: float
    end: float
    sentence: int = 0

    def as_dict(self) -> dict:
        return {"word": self.word, "start": round(self.start, 4), "end": round(self.end, 4)}


@dataclass(frozen=True)
class PhonemeTiming:
    """One phoneme or boundary token (``, . ? ! <sp>``): start and end in seconds, and the index of its word
    among the call's words (-1 for a boundary token)."""

    phoneme: str
    start: float
    end: float
    word: int = -1

    def as_dict(self) -> dict:
        return {"phoneme": self.phoneme, "start": round(self.start, 4), "end": round(self.end, 4),
                "word": self.word}


def sentence_timings(phonemes: Sequence[str], word_index: Sequence[int], words: Sequence[str],
                     durations: Sequence[int], start_sample: int, end_sample: int, hop_length: int,
                     sample_rate: int, sentence: int = 0,
                     first_word: int = 0) -> tuple[list[WordTiming], list[PhonemeTiming]]:
    """Timings of one sentence whose audio lies in samples ``[start_sample, end_sample)``: ``durations`` in
    frames per phoneme; ``first_word``: how many words came before (phoneme timings point at the call's
    words). Times past ``end_sample`` (a vocoder that returns fewer samples than frames x hop) are clipped."""
    if not len(phonemes) == len(word_index) == len(durations):
        raise ValueError(f"{len(phonemes)} phonemes, {len(word_index)} word indices, {len(durations)} durations")
    out_phonemes: list[PhonemeTiming] = []
    spans: dict[int, list[float]] = {}
    pos = start_sample
    for ph, w, d in zip(phonemes, word_index, durations):
        a = min(pos, end_sample) / sample_rate
        pos += int(d) * hop_length
        b = min(pos, end_sample) / sample_rate
        out_phonemes.append(PhonemeTiming(ph, a, b, first_word + w if w >= 0 else -1))
        if w >= 0:
            span = spans.setdefault(w, [a, b])
            span[0], span[1] = min(span[0], a), max(span[1], b)
    none = [start_sample / sample_rate] * 2  # a word without phonemes (there is none in practice)
    out_words = [WordTiming(word, *spans.get(i, none), sentence=sentence) for i, word in enumerate(words)]
    return out_words, out_phonemes


def timestamps_document(words: Sequence[WordTiming], phonemes: Sequence[PhonemeTiming], sample_rate: int,
                        duration: float) -> dict:
    """What ``tts synthesize --timestamps`` writes and the server returns: ``sample_rate``, ``duration``
    (seconds of audio), ``words`` (word, start, end) and ``phonemes`` (phoneme, start, end, word)."""
    return {"sample_rate": int(sample_rate), "duration": round(float(duration), 4),
            "words": [w.as_dict() for w in words], "phonemes": [p.as_dict() for p in phonemes]}


def timestamps_json(doc: dict) -> str:
    """``doc`` (of :func:`timestamps_document`) as JSON text with one word or phoneme per line."""
    import json

    lines = ["{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in doc.items()
                             if k not in ("words", "phonemes")) + ","]
    for key in ("words", "phonemes"):
        items = [" " * 2 + json.dumps(item, ensure_ascii=False) for item in doc[key]]
        close = "]," if key == "words" else "]"
        lines.append(f" {json.dumps(key)}: [" + ("\n" + ",\n".join(items) + "\n " if items else "") + close)
    return "\n".join(lines) + "\n}\n"

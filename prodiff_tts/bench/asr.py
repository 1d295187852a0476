"""Offline speech recognition for intelligibility scores (WER/CER): pocketsphinx with the US English model that
ships in its wheel (``pip install 'prodiff-tts[asr]'``). Nothing is downloaded."""

from __future__ import annotations

import numpy as np

from ..audio import resample

ASR_SAMPLE_RATE = 16000


class ASRUnavailableError(ValueError):
    """The optional recognizer is not installed (a user-fixable error: one line, exit 2 in the CLI)."""


class PocketSphinxASR:
    """``transcribe(wav, sample_rate) -> str`` (lower-case words). One decoder, reused across utterances."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        try:
            import pocketsphinx
        except ImportError:
            raise ASRUnavailableError("--asr needs pocketsphinx, which is not installed: "
                                      "pip install 'prodiff-tts[asr]'") from None
        self.version = getattr(pocketsphinx, "__version__", None) or _dist_version("pocketsphinx")
        self._decoder = pocketsphinx.Decoder(samprate=ASR_SAMPLE_RATE, loglevel="FATAL")

    def transcribe(self, wav: np.ndarray, sample_rate: int) -> str:
        x = resample(np.asarray(wav, dtype=np.float32), sample_rate, ASR_SAMPLE_RATE)
        pcm = (np.clip(x, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        d = self._decoder
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        hyp = d.hyp()
        return hyp.hypstr if hyp is not None else ""


def _dist_version(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return None

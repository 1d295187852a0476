"""Reference-free quality prediction (``--mos dnsmos``), to compare voices that share no recordings.

DNSMOS (Reddy et al., ICASSP 2021/2022; Microsoft's ONNX models in the ``speechmos`` wheel, nothing
downloaded) predicts the 1-5 opinion scores of ITU-T P.835 (SIG: the speech signal itself, BAK: background,
OVRL: overall) and of P.808 (one overall score) from 9 s windows of 16 kHz audio (shorter clips are looped).
It was trained on the output of noise suppressors, not of TTS: it hears distortion of the speech signal
(phasiness, buzz, metallic artifacts, noise) well and says little about prosody. It is therefore a measure of
vocoder and signal quality to read beside WER and the over-smoothing measures, not a naturalness MOS.
``pip install 'prodiff-tts[eval]'``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..audio import resample

MOS_ENGINES = ("dnsmos",)
MOS_COLUMNS = ("dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808")
MOS_HEADER = " DNSMOS OVRL | SIG | P.808 |"  # the header of mos_cells' cells
_SAMPLE_RATE = 16000


class MOSUnavailableError(ValueError):
    """The optional predictor is not installed (a user-fixable error: one line, exit 2 in the CLI)."""


def make_mos_predictor(engine: str = "dnsmos", threads: int = 1) -> "DNSMOS":
    """A predictor by name; raises :class:`MOSUnavailableError` (one line) when it cannot be loaded."""
    if engine != "dnsmos":
        raise MOSUnavailableError(f"unknown quality predictor {engine!r} (choose from {', '.join(MOS_ENGINES)})")
    return DNSMOS(threads=threads)


class DNSMOS:
    """``score(wav, sample_rate) -> {"dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808"}``."""

    name = "dnsmos"

    def __init__(self, threads: int = 1) -> None:
        try:
            import onnxruntime as ort
            from speechmos import dnsmos
        except ImportError as e:
            raise MOSUnavailableError(f"--mos dnsmos needs {e.name}, which is not installed: "
                                      "pip install 'prodiff-tts[eval]'") from None
        from .asr import _dist_version

        models = Path(dnsmos.__file__).parent / "dnsmos_models"
        primary, p808 = models / "sig_bak_ovr.onnx", models / "model_v8.onnx"
        if not (primary.is_file() and p808.is_file()):
            raise MOSUnavailableError(f"the DNSMOS models are missing from {models} (reinstall speechmos)")
        opts = ort.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
        # speechmos' own constructor opens sessions on every core; the windowing and the P.835 polynomial
        # mapping are its code, only the sessions are made here (fixed threads, CPU provider).
        model = dnsmos.DNSMOS.__new__(dnsmos.DNSMOS)
        model.primary_model_path = str(primary)
        model.onnx_sess = ort.InferenceSession(str(primary), opts, providers=["CPUExecutionProvider"])
        model.p808_onnx_sess = ort.InferenceSession(str(p808), opts, providers=["CPUExecutionProvider"])
        self._model = model
        self.version = f"DNSMOS P.835 + P.808 (speechmos {_dist_version('speechmos')})"

    def score(self, wav: np.ndarray, sample_rate: int) -> dict[str, float]:
        x = resample(np.asarray(wav, dtype=np.float32).reshape(-1), sample_rate, _SAMPLE_RATE)
        if x.size < _SAMPLE_RATE // 10:
            raise ValueError(f"too short for DNSMOS: {x.size / _SAMPLE_RATE:.3f} s (at least 0.1 s)")
        out = self._model(np.clip(x, -1.0, 1.0), _SAMPLE_RATE, False)
        return {"dnsmos_ovrl": float(out["ovrl_mos"]), "dnsmos_sig": float(out["sig_mos"]),
                "dnsmos_bak": float(out["bak_mos"]), "dnsmos_p808": float(out["p808_mos"])}


def mean_scores(per_item: Iterable[dict[str, float] | None]) -> dict[str, float | None]:
    """Mean of each column over the items that have it (None where none has)."""
    rows = [r for r in per_item if r]
    return {c: (float(np.mean([r[c] for r in rows])) if rows else None) for c in MOS_COLUMNS}


def mos_cells(row: dict) -> str:
    """The OVRL, SIG and P.808 cells of a markdown row (BAK, the background, stays in the JSON)."""
    cells = [("n/a" if row.get(c) is None else f"{row[c]:.2f}") for c in ("dnsmos_ovrl", "dnsmos_sig", "dnsmos_p808")]
    return " " + " | ".join(cells) + " |"


def mos_ceiling_line(info: dict) -> str:
    rec = info.get("recordings")
    ceiling = ("n/a (no recording found)" if not rec else
               f"OVRL {rec['dnsmos_ovrl']:.2f}, SIG {rec['dnsmos_sig']:.2f}, P.808 {rec['dnsmos_p808']:.2f}")
    return f"{info['version']} (1-5, higher is better; a signal-quality predictor, not a TTS naturalness MOS): " \
           f"on the recordings themselves {ceiling}"

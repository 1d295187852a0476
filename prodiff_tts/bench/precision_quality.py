"""Quality next to speed: what a lower precision or another backend changes in a voice's output, measured
against the reference output (torch, fp32) of the same texts, seeds and noise.

* ``mel_l1``: mean absolute difference of the natural-log mels over all frames of all sentences, frame by
  frame: the noise is the same (the onnx backend's mels are synthesized from the torch path's noise,
  :func:`prodiff_tts.bench.onnx_rows.quality_mels`) and the encoder and variance adaptor run in float32 in
  every precision, so the durations and frames are the same (``misaligned`` counts sentences whose frame
  counts differ; they are compared over their common frames). ``mel_l1_max``: that of the worst sentence.
* ``gv_ratio``, ``ms_distance_db``: the over-smoothing measures of :mod:`prodiff_tts.bench.oversmoothing` with
  the candidate's mels as the generated set and the reference's as the recorded one (1 and 0 dB: unchanged;
  a GV ratio below 1 means the precision smooths the output).
* ``wer`` / ``cer`` (with a recognizer, :func:`prodiff_tts.bench.asr.make_recognizer`): per vocoder, of the
  end-to-end audio against the text after the recognizer's normalizer, for every (backend, precision)
  including the reference, so that a loss of intelligibility reads side by side.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from .metrics import error_rate
from .oversmoothing import gv_ratio, ms_distance

__all__ = ["compare_mels", "transcription_scores", "quality_section"]


def _numpy(mel) -> np.ndarray:
    if hasattr(mel, "detach"):
        mel = mel.detach().float().cpu().numpy()
    return np.asarray(mel, dtype=np.float64)


def compare_mels(reference: Sequence, candidate: Sequence) -> dict:
    """The mel measures of ``candidate`` against ``reference``: natural-log mels [n_mels, T] (tensors or
    arrays) of the same sentences, in the same order."""
    if len(reference) != len(candidate) or not reference:
        raise ValueError(f"{len(candidate)} candidate mels for {len(reference)} reference mels")
    ref, cand, per_sentence = [], [], []
    misaligned = 0
    for r, c in zip(reference, candidate):
        r, c = _numpy(r), _numpy(c)
        if r.shape != c.shape:
            misaligned += 1
            n = min(r.shape[-1], c.shape[-1])
            r, c = r[..., :n], c[..., :n]
        ref.append(r)
        cand.append(c)
        per_sentence.append(float(np.mean(np.abs(c - r))))
    frames = sum(r.shape[-1] for r in ref)
    total = sum(float(np.sum(np.abs(c - r))) for r, c in zip(ref, cand))
    return {
        "sentences": len(ref), "frames": frames, "misaligned": misaligned,
        "mel_l1": total / (frames * ref[0].shape[0]), "mel_l1_max": max(per_sentence),
        "gv_ratio": gv_ratio(cand, ref)[0], "ms_distance_db": ms_distance(cand, ref)[0],
    }


def transcription_scores(recognizer, texts: Sequence[str], wavs: Sequence[np.ndarray], sample_rate: int) -> dict:
    """``{"wer", "cer"}`` of the recognizer's transcripts of ``wavs`` against ``texts``."""
    refs = [recognizer.normalize(t) for t in texts]
    hyps = [recognizer.normalize(recognizer.transcribe(w, sample_rate)) for w in wavs]
    return {"wer": error_rate(refs, hyps, "word"), "cer": error_rate(refs, hyps, "char")}


def quality_section(mels: Mapping[tuple, Mapping[int, list]], wavs: Mapping[tuple, Mapping[int, np.ndarray]],
                    texts: Mapping[int, str], reference: tuple[str, str], recognizer=None,
                    sample_rate: int | None = None) -> dict:
    """The report's ``quality`` section (schema in :mod:`prodiff_tts.bench.benchmark`).

    ``mels[(backend, precision, steps, schedule)][words]``: the mels of each sentence of the text of ``words``
    words, batch 1 (the reference's among them); ``wavs[(backend, precision, vocoder, steps, schedule)][words]``:
    end-to-end audio, scored when a ``recognizer`` is given. One row per (backend, precision, steps, schedule),
    grouped by step plan, the reference's first in each when a recognizer scores it (its mel measures are None:
    it is what the others are compared with)."""
    rows = []
    plans = list(dict.fromkeys(k[2:] for k in mels))  # in measurement order; the reference first in each
    keys = sorted((k for k in mels if recognizer is not None or k[:2] != reference),
                  key=lambda k: (plans.index(k[2:]), k[:2] != reference))
    for key in keys:
        backend, precision, steps, schedule = key
        words = sorted(mels[key])
        row = {"backend": backend, "precision": precision, "steps": steps, "schedule": schedule, "texts": words,
               "sentences": None, "frames": None, "misaligned": None, "mel_l1": None, "mel_l1_max": None,
               "gv_ratio": None, "ms_distance_db": None, "wer": None, "cer": None}
        ref = mels.get((*reference, steps, schedule))
        if (backend, precision) != reference and ref is not None:
            row.update(compare_mels([m for w in words for m in ref[w]], [m for w in words for m in mels[key][w]]))
        if recognizer is not None:
            scores = {voc: transcription_scores(recognizer, [texts[w] for w in sorted(by_words)],
                                                [by_words[w] for w in sorted(by_words)], sample_rate)
                      for (b, p, voc, k, s), by_words in wavs.items() if (b, p, k, s) == key}
            if scores:
                row["wer"] = {voc: v["wer"] for voc, v in scores.items()}
                row["cer"] = {voc: v["cer"] for voc, v in scores.items()}
        rows.append(row)
    asr = None if recognizer is None else {"engine": recognizer.name, "version": recognizer.version}
    return {"reference": {"backend": reference[0], "precision": reference[1]}, "asr": asr, "results": rows}

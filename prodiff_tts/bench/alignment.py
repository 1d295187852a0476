"""Word-boundary error of the learned alignment against reference word end times (e.g. Festival's)."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..data.dataset import FeatureDataset, collate
from ..data.stats import FeatureStats


def word_end_times(durations: Sequence[int], word_index: Sequence[int], frame_seconds: float) -> list[float]:
    """End time (s) of each word: the end of its last phoneme. ``word_index[i]`` is the word of phoneme i
    (-1 for boundary tokens), as ``prodiff_tts.text.Phonemized`` gives it."""
    ends = np.cumsum(np.asarray(durations, dtype=np.int64)) * frame_seconds
    n_words = max(word_index, default=-1) + 1
    out = [0.0] * n_words
    for i, w in enumerate(word_index):
        if w >= 0:
            out[w] = float(ends[i])
    return out


@torch.no_grad()
def word_boundary_errors(model, data_dir: str | Path, alignment_dir: str | Path, split: str = "test",
                         items: int | None = None, batch_size: int = 8) -> dict:
    """Mean absolute word-end error (ms) of the aligner's hard durations (MAS) on a prepared split, against
    ``<alignment_dir>/<id>.words`` (end time, word). Times are shifted by the clip's trim start; utterances
    whose reference word list does not match the frontend's words are skipped and counted."""
    from ..data.alignments import read_alignment
    from ..text import G2P

    data_dir, alignment_dir = Path(data_dir), Path(alignment_dir)
    ds = FeatureDataset(data_dir, split, FeatureStats.load(data_dir / "stats.json"))
    n = len(ds) if items is None else min(items, len(ds))
    g2p = G2P()
    model.eval()
    hop_s = None
    errors: list[float] = []
    skipped = 0
    for start in range(0, n, batch_size):
        idx = list(range(start, min(n, start + batch_size)))
        batch = collate([ds[i] for i in idx])
        durations = model.condition_train(batch).durations
        for b, i in enumerate(idx):
            rec = ds.records[i]
            hop_s = hop_s or rec["seconds"] / rec["num_frames"]
            ref_path = alignment_dir / f"{rec['id']}.words"
            ph = g2p(rec["normalized"])
            ref = read_alignment(ref_path) if ref_path.is_file() else []
            if len(ref) != len(ph.words) or any(w != r for w, (_, r) in zip(ph.words, ref)):
                skipped += 1
                continue
            n_ph = int(batch["phoneme_lengths"][b])
            pred = word_end_times(durations[b, :n_ph].tolist(), ph.word_index, hop_s)
            shift = rec["trim"][0]
            errors += [abs(p - (t - shift)) for p, (t, _) in zip(pred, ref)]
    if not errors:
        raise ValueError(f"no utterance of '{split}' has matching reference word times in {alignment_dir}")
    e = np.asarray(errors) * 1000.0
    return {"utterances": n - skipped, "skipped": skipped, "words": len(e), "mean_ms": float(e.mean()),
            "median_ms": float(np.median(e)), "within_20ms": float(np.mean(e <= 20.0)),
            "within_50ms": float(np.mean(e <= 50.0))}

"""Bootstrap intervals of the deciding measures over items, and paired differences between rows.

Every deciding measure of an evaluation is a statistic of a *set* of utterances (corpus WER, the GV ratio, the
modulation-spectrum distance, the Fréchet distances, mean DNSMOS), so its uncertainty comes from which sentences
were drawn. The bootstrap redraws the items with replacement (Efron & Tibshirani 1993) and recomputes each
measure; rows scored on the same sentences are redrawn together (a paired comparison, as Koehn 2004 does for
translation systems), so the interval of a difference only carries the noise that does not cancel. Where the
recordings are paired with the items (held-out evaluation, resynthesis) they are redrawn with them; an unpaired
reference set (``tts evaluate --texts ... --data``) is redrawn on its own.

Each measure is rebuilt from per-item sufficient statistics (word and character edits and lengths, per-band
variance, modulation power sums, frame sums and outer products), so a redraw is a weighted sum over items: with
every weight 1 the statistic is the report's own value (tested against :mod:`.oversmoothing` and
:mod:`.metrics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .metrics import asr_normalize, edit_distance
from .oversmoothing import MS_SEGMENT, modulation_power

_EPS = 1e-10
_CHUNK = 25  # redraws per weighted sum: bounds the [chunk, dim * dim] outer-product sums (Whisper: 147k wide)
_BLOCK = 100  # redraws whose covariances (and the reference's matrix roots) are held at once

# measure -> how a row is worse: the bootstrap distribution of (badness of a row - badness of the first row)
# decides "ahead" / "behind" / "level"
DECIDING_MEASURES = ("wer", "cer", "gv_ratio", "ms_distance_db", "frechet_mel", "frechet_whisper", "dnsmos_ovrl")


def _badness(measure: str, values: np.ndarray) -> np.ndarray:
    if measure == "gv_ratio":
        return np.abs(np.log(values))  # 1 is right; over- and under-varied both lose
    if measure == "dnsmos_ovrl":
        return -values
    return values


@dataclass
class _Gaussian:
    """Per-item frame counts, sums and outer-product sums: a weighted Gaussian fit of the pooled frames."""

    counts: np.ndarray  # [n]
    sums: np.ndarray  # [n, d]
    outers: np.ndarray  # [n, d * d]

    @classmethod
    def of(cls, frames: Sequence[np.ndarray]) -> _Gaussian:
        f = [np.asarray(x, dtype=np.float64) for x in frames]
        return cls(np.array([len(x) for x in f], dtype=np.float64), np.stack([x.sum(0) for x in f]),
                   np.stack([(x.T @ x).ravel() for x in f]))

    def fit(self, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Means [R, d] and covariances [R, d, d] (np.cov's N - 1) for weights [R, n]."""
        d = self.sums.shape[1]
        n = weights @ self.counts
        mean = (weights @ self.sums) / n[:, None]
        cov = np.empty((len(weights), d, d))
        for s in range(0, len(weights), _CHUNK):
            w = weights[s : s + _CHUNK]
            outer = (w @ self.outers).reshape(-1, d, d)
            m = mean[s : s + _CHUNK]
            cov[s : s + _CHUNK] = (outer - n[s : s + _CHUNK, None, None] * m[:, :, None] * m[:, None, :]) / (
                n[s : s + _CHUNK, None, None] - 1.0)
        return mean, cov


def _frechet(mean_a: np.ndarray, cov_a: np.ndarray, mean_b: np.ndarray, root_b: np.ndarray,
             trace_b: float) -> float:
    """Fréchet distance with tr sqrt(A B) = sum of sqrt(eigenvalues of B^1/2 A B^1/2) (B^1/2 given): equal to
    :func:`.metrics.frechet_distance` for covariances, a symmetric eigenproblem instead of a matrix root."""
    ev = np.linalg.eigvalsh(root_b @ cov_a @ root_b)
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + trace_b - 2.0 * np.sqrt(np.clip(ev, 0, None)).sum())


def _root(cov: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh(cov)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


class ItemStatistics:
    """What a row's (or the recordings') set measures are computed from, item by item. Every argument is
    optional; a measure is redrawn only where its inputs are given for the row and, for the set measures,
    for the reference.

    ``heard``: natural-log mels ``[n_mels, T]`` of the audio; ``embeddings``: Whisper-encoder frames
    ``[frames, dim]``; ``texts`` / ``transcripts``: the normalized reference texts and the recognizer's
    normalized transcripts; ``dnsmos``: DNSMOS OVRL per item (None where not scored)."""

    def __init__(self, heard: Sequence[np.ndarray] | None = None, embeddings: Sequence[np.ndarray] | None = None,
                 texts: Sequence[str] | None = None, transcripts: Sequence[str] | None = None,
                 dnsmos: Sequence[float | None] | None = None) -> None:
        sizes = {len(x) for x in (heard, embeddings, texts, dnsmos) if x}
        if len(sizes) > 1:
            raise ValueError(f"item statistics of different lengths: {sorted(sizes)}")
        self.n = sizes.pop() if sizes else 0
        self.mel = self.gv = self.ms_power = self.ms_count = self.whisper = None
        self.word_edits = self.words = self.char_edits = self.chars = self.dnsmos = None
        if heard:
            mels = [np.asarray(m, dtype=np.float64) for m in heard]
            self.mel = _Gaussian.of([m.T for m in mels])
            self.gv = np.stack([np.var(m, axis=-1) for m in mels])
            self.ms_power, self.ms_count = _modulation_sums(mels)
        if embeddings:
            self.whisper = _Gaussian.of(embeddings)
        if texts:
            if transcripts is None or len(transcripts) != len(texts):
                raise ValueError("texts need one transcript each")
            w = [(asr_normalize(r).split(), asr_normalize(h).split()) for r, h in zip(texts, transcripts)]
            c = [(list(asr_normalize(r)), list(asr_normalize(h))) for r, h in zip(texts, transcripts)]
            self.word_edits = np.array([edit_distance(r, h) for r, h in w], dtype=np.float64)
            self.words = np.array([len(r) for r, _ in w], dtype=np.float64)
            self.char_edits = np.array([edit_distance(r, h) for r, h in c], dtype=np.float64)
            self.chars = np.array([len(r) for r, _ in c], dtype=np.float64)
        if dnsmos and any(q is not None for q in dnsmos):
            self.dnsmos = np.array([np.nan if q is None else q for q in dnsmos], dtype=np.float64)

    def measures(self, weights: np.ndarray, reference: ItemStatistics | None = None,
                 reference_weights: np.ndarray | None = None, reference_fits: dict | None = None) -> dict[str, np.ndarray]:
        """Each available measure for every redraw: weights [R, n] -> {measure: [R]}."""
        out: dict[str, np.ndarray] = {}
        if self.words is not None:
            out["wer"] = (weights @ self.word_edits) / (weights @ self.words)
            out["cer"] = (weights @ self.char_edits) / (weights @ self.chars)
        if self.dnsmos is not None:
            ok = ~np.isnan(self.dnsmos)
            out["dnsmos_ovrl"] = (weights[:, ok] @ self.dnsmos[ok]) / weights[:, ok].sum(1)
        if reference is None:
            return out
        rw = weights if reference_weights is None else reference_weights
        fits = reference_fits if reference_fits is not None else reference.fits(rw)
        if self.gv is not None and reference.gv is not None:
            ratio = (self._gv(weights) + _EPS) / (fits["gv"] + _EPS)
            out["gv_ratio"] = np.exp(np.log(ratio).mean(1))
            diff = (self._ms_db(weights) - fits["ms"]).reshape(len(weights), -1, MS_SEGMENT // 2 + 1)[:, :, 1:]
            out["ms_distance_db"] = np.sqrt((diff**2).mean((1, 2)))
        for name, mine, theirs in (("frechet_mel", self.mel, "mel"), ("frechet_whisper", self.whisper, "whisper")):
            if mine is not None and theirs in fits:
                mean, cov = mine.fit(weights)
                rm, root, tr = fits[theirs]
                out[name] = np.array([_frechet(mean[r], cov[r], rm[r], root[r], tr[r]) for r in range(len(weights))])
        return out

    def _gv(self, weights: np.ndarray) -> np.ndarray:
        """Per-band global variance of every redraw [R, n_mels]."""
        return (weights @ self.gv) / weights.sum(1, keepdims=True)

    def _ms_db(self, weights: np.ndarray) -> np.ndarray:
        """Flattened modulation spectrum (dB) of every redraw."""
        return 10.0 * np.log10((weights @ self.ms_power) / (weights @ self.ms_count)[:, None] + _EPS)

    def fits(self, weights: np.ndarray) -> dict:
        """The reference side of the set measures for every redraw, computed once for all rows."""
        out: dict = {}
        if self.gv is not None:
            out["gv"], out["ms"] = self._gv(weights), self._ms_db(weights)
        for name, g in (("mel", self.mel), ("whisper", self.whisper)):
            if g is not None:
                mean, cov = g.fit(weights)
                out[name] = (mean, np.stack([_root(c) for c in cov]), np.trace(cov, axis1=1, axis2=2))
        return out


def _modulation_sums(mels: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per item: the flattened modulation power summed over its segments [n, n_mels * (MS_SEGMENT // 2 + 1)]
    and the number of segments [n] (:func:`.oversmoothing.modulation_spectrum` is their pooled ratio, in dB)."""
    sums = [modulation_power(m) for m in mels]
    return np.stack([p.ravel() for p, _ in sums]), np.asarray([c for _, c in sums], dtype=np.float64)


def redraw_weights(n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """[1 + resamples, n] multiplicities of draws of n items with replacement, after a first row with every
    item once (the report's own value)."""
    return np.concatenate([np.ones((1, n)), rng.multinomial(n, np.full(n, 1.0 / n), size=resamples)]).astype(np.float64)


def _stack(a: ItemStatistics, b: ItemStatistics) -> ItemStatistics:
    """The items of ``a`` then those of ``b`` (2n items): weights over them pick a mixture of the two rows."""
    out = ItemStatistics()
    out.n = a.n + b.n
    for name in ("gv", "ms_power", "ms_count", "word_edits", "words", "char_edits", "chars", "dnsmos"):
        x, y = getattr(a, name), getattr(b, name)
        setattr(out, name, None if x is None or y is None else np.concatenate([x, y]))
    for name in ("mel", "whisper"):
        x, y = getattr(a, name), getattr(b, name)
        setattr(out, name, None if x is None or y is None else _Gaussian(
            np.concatenate([x.counts, y.counts]), np.concatenate([x.sums, y.sums]), np.concatenate([x.outers, y.outers])))
    return out


def randomization_test(first: ItemStatistics, row: ItemStatistics, reference: ItemStatistics | None = None,
                       rounds: int = 500, seed: int = 0) -> dict[str, float]:
    """Two-sided p-value of each deciding measure's badness difference (row - first) by approximate
    randomization (Noreen 1989; Riezler & Maxwell 2005 for system comparison): each round swaps the two rows'
    outputs for a random half of the items and recomputes the difference. Unlike a redraw, a swapped set still
    holds every item once, so set statistics that grow when items repeat (the Fréchet distances) stay unbiased.
    The reference set is not redrawn."""
    n = first.n
    both = _stack(first, row)
    rng = np.random.default_rng(seed)
    masks = np.concatenate([np.zeros((1, n)), rng.integers(0, 2, size=(rounds, n))]).astype(np.float64)
    single = reference.fits(np.ones((1, reference.n))) if reference is not None else None
    diffs: dict[str, list[np.ndarray]] = {}
    for s in range(0, len(masks), _BLOCK):
        m = masks[s : s + _BLOCK]
        k = len(m)
        first_w = np.concatenate([1.0 - m, m], axis=1)  # row 0: no swap, the observed sets
        rw = fits = None
        if reference is not None:
            rw = np.ones((k, reference.n))
            fits = {key: tuple(np.broadcast_to(x, (k,) + x.shape[1:]) for x in v) if isinstance(v, tuple)
                    else v for key, v in single.items()}
        a = both.measures(first_w, reference, rw, fits)
        b = both.measures(1.0 - first_w, reference, rw, fits)
        for meas in DECIDING_MEASURES:
            if meas in a and meas in b:
                diffs.setdefault(meas, []).append(_badness(meas, b[meas]) - _badness(meas, a[meas]))
    out = {}
    for meas, parts in diffs.items():
        d = np.concatenate(parts)
        out[meas] = float((1 + np.sum(np.abs(d[1:]) >= np.abs(d[0]) - 1e-12)) / (1 + rounds))
    return out


def paired_bootstrap(rows: Sequence[ItemStatistics], reference: ItemStatistics | None = None,
                     paired_reference: bool = True, resamples: int = 500, level: float = 0.95,
                     seed: int = 0) -> dict:
    """Percentile intervals of every row's measures and of each row's paired difference to the first row, and
    whether that difference is real (:func:`randomization_test`, as many rounds as redraws).

    Returns ``{"resamples", "level", "items", "paired_reference" (null without a reference), "rows": [{measure:
    [lo, hi]}], "differences": [None, {measure: {"difference", "interval": [lo, hi], "p_value", "verdict"}},
    ...]}``; ``difference`` is the row's value minus the first row's; ``verdict`` is "ahead" / "behind" when
    ``p_value`` < 1 - ``level`` and the row's badness (WER, CER, MS, Fréchet: the value; GV ratio: |log ratio|;
    DNSMOS: minus the value) is lower / higher, else "level". The interval says how large a difference may be;
    a redraw repeats items, which inflates the Fréchet distances, so their intervals lean high and the verdict
    comes from the randomization test instead."""
    if not rows:
        raise ValueError("the bootstrap needs at least one row")
    if resamples < 2:
        raise ValueError(f"resamples must be >= 2, got {resamples}")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    n = rows[0].n
    if n < 2 or any(r.n != n for r in rows):
        raise ValueError(f"rows must score the same items (at least two), got {[r.n for r in rows]}")
    rng = np.random.default_rng(seed)
    weights = redraw_weights(n, resamples, rng)
    ref_weights = None
    if reference is not None:
        if paired_reference and reference.n != n:
            paired_reference = False  # some recordings missing: the reference set is redrawn on its own
        ref_weights = weights if paired_reference else redraw_weights(reference.n, resamples, rng)
    parts: list[list[dict[str, np.ndarray]]] = [[] for _ in rows]
    for s in range(0, len(weights), _BLOCK):  # blocks of redraws bound the memory of the covariances
        w = weights[s : s + _BLOCK]
        rw = None if ref_weights is None else ref_weights[s : s + _BLOCK]
        fits = reference.fits(rw) if reference is not None else None
        for part, r in zip(parts, rows):
            part.append(r.measures(w, reference, rw, fits))
    draws = [{m: np.concatenate([p[m] for p in part]) for m in part[0]} for part in parts]
    tail = 100.0 * (1.0 - level) / 2.0

    def interval(v: np.ndarray) -> list[float]:
        lo, hi = np.percentile(v[1:], [tail, 100.0 - tail])  # v[0]: every item once
        return [float(lo), float(hi)]

    out_rows = [{m: interval(v) for m, v in d.items()} for d in draws]
    differences: list[dict | None] = [None]
    for row, d in zip(rows[1:], draws[1:]):
        p_values = randomization_test(rows[0], row, reference, rounds=resamples, seed=seed)
        diff = {}
        for m in DECIDING_MEASURES:
            if m in d and m in draws[0] and m in p_values:
                worse = float((_badness(m, d[m][:1]) - _badness(m, draws[0][m][:1]))[0])
                real = p_values[m] < 1.0 - level
                diff[m] = {"difference": float(d[m][0] - draws[0][m][0]), "interval": interval(d[m] - draws[0][m]),
                           "p_value": p_values[m],
                           "verdict": "ahead" if real and worse < 0 else "behind" if real and worse > 0 else "level"}
        differences.append(diff)
    return {"resamples": resamples, "level": level, "items": n,
            "paired_reference": None if reference is None else paired_reference,
            "rows": out_rows, "differences": differences}


_LABELS = {"wer": "WER", "cer": "CER", "gv_ratio": "GV ratio", "ms_distance_db": "MS dist dB",
           "frechet_mel": "Fréchet mel", "frechet_whisper": "Fréchet Whisper", "dnsmos_ovrl": "DNSMOS OVRL"}
_SPECS = {"wer": "+.3f", "cer": "+.3f", "gv_ratio": "+.3f", "ms_distance_db": "+.2f", "frechet_mel": "+.2f",
          "frechet_whisper": "+.2f", "dnsmos_ovrl": "+.2f"}


def format_differences(bootstrap: dict | None, labels: Sequence[str]) -> list[str]:
    """Markdown lines: each row's paired difference to the first, its interval and the verdict (none for a
    single row)."""
    if not bootstrap or len(labels) < 2:
        return []
    measures = [m for m in DECIDING_MEASURES if any(d and m in d for d in bootstrap["differences"][1:])]
    if not measures:
        return []
    pct = round(100 * bootstrap["level"])
    paired = bootstrap["paired_reference"]
    ref = "" if paired is None else (", the recordings redrawn with them" if paired
                                     else ", the reference set redrawn on its own")
    gv = " (GV ratio: judged on |log ratio|)" if "gv_ratio" in measures else ""
    alpha = 1.0 - bootstrap["level"]
    lines = [f"Paired differences to the first row ({labels[0]}): row minus first, {pct}% bootstrap interval "
             f"({bootstrap['resamples']} redraws of the {bootstrap['items']} items{ref}); ahead / behind: p < "
             f"{alpha:g} when the two rows' outputs are swapped at random item by item (approximate randomization, "
             f"{bootstrap['resamples']} rounds){gv}",
             "| row | " + " | ".join(_LABELS[m] for m in measures) + " |", "|---" * (len(measures) + 1) + "|"]
    for label, d in zip(labels[1:], bootstrap["differences"][1:]):
        cells = []
        for m in measures:
            if m not in d:
                cells.append("n/a")
                continue
            s, (lo, hi) = _SPECS[m], d[m]["interval"]
            cells.append(f"{d[m]['difference']:{s}} [{lo:{s}}, {hi:{s}}] {d[m]['verdict']} (p {d[m]['p_value']:.3f})")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines

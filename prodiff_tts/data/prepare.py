"""``tts prepare``: LJSpeech-format corpus -> feature cache, manifest, vocabulary and statistics.

Output directory layout::

    features/<id>.npz   mel, log-F0, voicing, log-energy, phoneme ids (+ sufficient statistics)
    manifest.jsonl      one line per usable utterance, with its deterministic split
    vocab.json          phoneme inventory (ids used by the cache)
    stats.json          feature means / standard deviations over the training split
    skipped.jsonl       every item that was reported and skipped, with the reason
    prepare.json        the settings and audio config the cache was made with

Resumable: an utterance whose cache file exists with the same phoneme ids is not recomputed. Every file
is written atomically, so a kill at any point leaves only complete files behind (and the temp file being
written, which the next run removes). A cache made with other settings (``prepare.json``) is not reused.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from ..audio import AudioConfig, AudioReadError, read_wav, resample, trim_silence

from ..fileio import atomic_write
from ..audio.processing import normalize_loudness
from .ljspeech import read_metadata
from .stats import StatsAccumulator


@dataclass(frozen=True)
class PrepareConfig:
    audio: AudioConfig = field(default_factory=AudioConfig)
    trim_top_db: float | None = 40.0  # None: keep leading/trailing silence
    loudness_dbfs: float | None = None  # None: keep the recording's level
    min_seconds: float = 0.5
    max_seconds: float = 20.0
    silence_peak: float = 1e-3  # a clip whose peak is below this is "silent"
    resample: bool = True  # False: a clip at another sample rate is skipped instead of resampled
    val_size: int = 50
    test_size: int = 100
    split_seed: str = "prodiff-tts"


@dataclass
class PrepareSummary:
    total: int
    prepared: int
    reused: int
    skipped: dict[str, int]
    resampled: int
    hours: float
    seconds: float
    splits: dict[str, int]
    discarded: int = 0  # cached features of an earlier run made with other settings, recomputed

    @property
    def clips_per_second(self) -> float:
        return (self.prepared + self.reused) / max(self.seconds, 1e-9)


def assign_splits(ids: list[str], val_size: int, test_size: int, seed: str) -> dict[str, str]:
    """Deterministic split: order ids by a salted hash (independent of file order and of other ids)."""
    order = sorted(ids, key=lambda i: hashlib.sha1(f"{seed}:{i}".encode()).hexdigest())
    n = len(order)
    test_size = min(test_size, max(n // 10, 1 if n >= 3 else 0))
    val_size = min(val_size, max(n // 10, 1 if n >= 3 else 0))
    split = {}
    for k, uid in enumerate(order):
        split[uid] = "test" if k < test_size else "val" if k < test_size + val_size else "train"
    return split


# --- worker side -----------------------------------------------------------------------------------------

_EXTRACTOR = None


def _init_worker(audio: AudioConfig) -> None:
    import torch

    torch.set_num_threads(1)
    global _EXTRACTOR
    from .features import FeatureExtractor

    _EXTRACTOR = FeatureExtractor(audio)


def _process(task: tuple[str, str, list[int], str, PrepareConfig]) -> dict:
    """Returns a manifest record, or {"id", "skip": reason}."""
    from .features import save_features

    uid, wav_path, phonemes, cache_path, cfg = task
    a = cfg.audio
    try:
        if not os.path.exists(wav_path):
            return {"id": uid, "skip": "missing wav"}
        wav, sr = read_wav(wav_path)
        resampled = sr != a.sample_rate
        if resampled:
            if not cfg.resample:
                return {"id": uid, "skip": f"sample rate {sr} != {a.sample_rate}"}
            wav = resample(wav, sr, a.sample_rate)
        if float(np.max(np.abs(wav))) < cfg.silence_peak:
            return {"id": uid, "skip": "silent"}
        start, end = 0, len(wav)
        if cfg.trim_top_db is not None:
            wav, start, end = trim_silence(wav, a.sample_rate, top_db=cfg.trim_top_db)
        if cfg.loudness_dbfs is not None:
            wav = normalize_loudness(wav, cfg.loudness_dbfs)
        seconds = len(wav) / a.sample_rate
        if seconds < cfg.min_seconds:
            return {"id": uid, "skip": f"too short ({seconds:.2f} s)"}
        if seconds > cfg.max_seconds:
            return {"id": uid, "skip": f"too long ({seconds:.1f} s)"}
        feats = _EXTRACTOR(wav, np.asarray(phonemes))
        trim = (start / a.sample_rate, end / a.sample_rate)
        save_features(cache_path, feats, seconds, trim)
        return {
            "id": uid,
            "num_frames": feats.num_frames,
            "seconds": seconds,
            "trim": list(trim),
            "resampled": resampled,
        }
    except AudioReadError as e:
        return {"id": uid, "skip": str(e).replace(str(wav_path), "wav")}
    except Exception as e:  # one bad file never stops the job
        return {"id": uid, "skip": f"{type(e).__name__}: {e}"}


def _cached_record(cache_path: Path, phonemes: list[int]) -> dict | None:
    try:
        with np.load(cache_path, allow_pickle=False) as z:
            if not np.array_equal(z["phonemes"], np.asarray(phonemes)):
                return None
            return {"num_frames": int(z["log_energy"].shape[0]), "seconds": float(z["seconds"]),
                    "trim": [float(v) for v in z["trim"]]}
    except Exception:
        return None


# --- driver ----------------------------------------------------------------------------------------------


def prepare_corpus(
    corpus_dir: str | Path,
    out_dir: str | Path,
    config: PrepareConfig = PrepareConfig(),
    jobs: int | None = None,
    progress: bool = True,
) -> PrepareSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from ..text import G2P, Vocab, normalize_text

    t0 = time.perf_counter()
    corpus_dir, out_dir = Path(corpus_dir), Path(out_dir)
    feat_dir = out_dir / "features"
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"output {out_dir} exists and is not a directory")
    utts, problems = read_metadata(corpus_dir)  # a missing corpus fails before anything is written
    feat_dir.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(out_dir)
    discarded = _discard_cache_made_otherwise(out_dir, corpus_dir, config)
    skipped: list[dict] = [{"id": p.id, "skip": f"metadata line {p.line}: {p.reason}"} for p in problems]

    vocab = Vocab.default()
    g2p = G2P()
    normalized = [normalize_text(u.normalized_text) for u in utts]
    phonemized = g2p.phonemize_batch(normalized)

    tasks, records, reused = [], {}, 0
    for u, norm, ph in zip(utts, normalized, phonemized):
        if not any(i >= 0 for i in ph.word_index):
            skipped.append({"id": u.id, "skip": "text has nothing speakable"})
            continue
        ids = vocab.encode(ph.phonemes)
        cache = feat_dir / f"{u.id}.npz"
        base = {"id": u.id, "wav": str(u.wav_path.resolve()), "text": u.text, "normalized": norm,
                "phonemes": " ".join(ph.phonemes), "feature": f"features/{u.id}.npz"}
        rec = _cached_record(cache, ids) if cache.exists() else None
        if rec is not None:
            records[u.id] = {**base, **rec}
            reused += 1
            continue
        tasks.append((u.id, str(u.wav_path), ids, str(cache), config, base))

    jobs = max(1, jobs or os.cpu_count() or 1)
    resampled = 0
    with Progress(TextColumn("prepare"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
                  TimeRemainingColumn(), disable=not progress) as bar:
        task_id = bar.add_task("prepare", total=len(tasks), rate="")
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn"), initializer=_init_worker,
                                 initargs=(config.audio,)) as pool:
            results = pool.map(_process, [t[:5] for t in tasks], chunksize=4)
            for done, (task, res) in enumerate(zip(tasks, results), start=1):
                if "skip" in res:
                    skipped.append(res)
                else:
                    resampled += int(res.pop("resampled"))
                    records[res["id"]] = {**task[5], **res}
                elapsed = time.perf_counter() - t0
                bar.update(task_id, advance=1, rate=f"{done / elapsed:.1f} clips/s")

    split = assign_splits(sorted(records), config.val_size, config.test_size, config.split_seed)
    acc = StatsAccumulator(config.audio.n_mels)
    lines = []
    for uid in sorted(records):
        rec = {**records[uid], "split": split[uid]}
        lines.append(json.dumps(rec, ensure_ascii=False))
        if rec["split"] == "train":
            with np.load(out_dir / rec["feature"], allow_pickle=False) as z:
                acc.add(z["stat_mel"], z["stat_f0"], z["stat_energy"])
    if not records:
        raise ValueError(f"no usable utterance in {corpus_dir} ({len(skipped)} skipped); see {out_dir}/skipped.jsonl")

    _write_text(out_dir / "manifest.jsonl", "\n".join(lines) + "\n")
    _write_text(out_dir / "skipped.jsonl", "".join(json.dumps(s, ensure_ascii=False) + "\n" for s in skipped))
    vocab.save(out_dir / "vocab.json")
    acc.result().save(out_dir / "stats.json")
    _write_text(out_dir / "prepare.json", json.dumps({"corpus": str(corpus_dir.resolve()), **asdict(config)}, indent=1))

    reasons: dict[str, int] = {}
    for s in skipped:
        key = s["skip"].split(" (")[0].split(":")[0] if not s["skip"].startswith("metadata") else "bad metadata row"
        reasons[key] = reasons.get(key, 0) + 1
    counts = {k: sum(1 for v in split.values() if v == k) for k in ("train", "val", "test")}
    return PrepareSummary(
        total=len(utts) + len(problems),
        prepared=len(records) - reused,
        reused=reused,
        skipped=reasons,
        resampled=resampled,
        hours=sum(r["seconds"] for r in records.values()) / 3600.0,
        seconds=time.perf_counter() - t0,
        splits=counts,
        discarded=discarded,
    )


_SPLIT_ONLY = ("val_size", "test_size", "split_seed")  # settings that do not change a cached feature


def _remove_stale_temp_files(out_dir: Path) -> None:
    """Temp files of :func:`atomic_write` left by a run that was killed (SIGKILL, power loss) mid-write."""
    for d in (out_dir, out_dir / "features"):
        for tmp in d.glob(".*.tmp*"):  # fileio.atomic_write names them .NAME.XXXX.tmp<pid>
            tmp.unlink(missing_ok=True)


def _discard_cache_made_otherwise(out_dir: Path, corpus_dir: Path, config: PrepareConfig) -> int:
    """Resuming must not mix features made with other settings (sample rate, trimming, loudness, resampling,
    duration limits): when ``prepare.json`` says the cache was made otherwise, the cached features and the
    manifest are removed. ``prepare.json`` is then written first, so that a run killed at any point is
    resumed with the settings it was started with. Returns the number of cached features removed."""
    settings = json.loads(json.dumps({"corpus": str(corpus_dir.resolve()), **asdict(config)}))
    path = out_dir / "prepare.json"
    discarded = 0
    if path.is_file():
        try:
            old = json.loads(path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):
            old = {}
        same = isinstance(old, dict) and bool(old) and all(
            old[k] == v for k, v in settings.items() if k in old and k not in (*_SPLIT_ONLY, "corpus"))
        if not same:
            for f in (out_dir / "features").glob("*.npz"):
                f.unlink()
                discarded += 1
            (out_dir / "manifest.jsonl").unlink(missing_ok=True)
    _write_text(path, json.dumps(settings, indent=1))
    return discarded


def _write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))

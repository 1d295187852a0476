"""Resynthesis evaluation of vocoders (``tts evaluate-vocoder``): the log-mel of each held-out recording is
vocoded and the log-mel of the result is scored against it, frame by frame (a vocoder outputs exactly
``frames * hop`` samples, so no DTW is needed): log-mel L1, MCD (dB), F0 RMSE (Hz) and voicing error, and the
CPU real-time factor (vocoding seconds / audio seconds, summed over the items, fixed torch threads).

``oracles=True`` adds rows that split a vocoder's error into magnitude and phase, using each recording's own
STFT (same framing as the mel): Griffin-Lim's magnitude (the mel filterbank's non-negative least-squares
inverse) with the recorded phase; the recorded magnitude with Griffin-Lim's phase; and, for every trained
vocoder that predicts a spectrum, its magnitude with the recorded phase. Their ``rtf`` is null.

Beside the frame-wise scores, which reward Griffin-Lim's least-squares magnitudes: the GV ratio, the
modulation-spectrum distance and the Fréchet distance of log-mel frames of the resynthesized set against the
recordings (``oversmoothing``), and with a
recognizer (``asr``) the WER/CER of the resynthesized speech against the text and, for Whisper, the Fréchet
distance of its encoder frames to the recordings'.

Report (``schema_version`` 2)::

    {"schema_version": 2, "kind": "evaluate-vocoder", "created", "data", "split", "items", "audio",
     "machine": {"cpu", "platform", "python", "torch", "threads"},
     "asr": {"engine", "version", "recordings": {"wer", "cer"}} | null,
     "mos": {"engine", "version", "recordings": {"dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808"}} | null,
     "results": [{"vocoder", "name", "parameters", "items", "mel_l1", "mcd_db", "f0_rmse_hz", "vuv_error",
                  "gv_ratio", "ms_distance_db", "frechet_mel", "wer", "cer", "frechet_whisper", "dnsmos_ovrl", "dnsmos_sig",
                  "dnsmos_bak", "dnsmos_p808",
                  "audio_seconds", "vocode_seconds", "rtf" (null for oracle rows),
                  "per_item": [{"id", "frames", "mel_l1", "mcd_db", "f0_rmse_hz", "vuv_error", "seconds", "dnsmos",
                                "vocode_seconds"}]}],
     "bootstrap": {...} | null (:func:`.bootstrap.paired_bootstrap`), "notes": [str]}
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .bootstrap import ItemStatistics, format_differences, paired_bootstrap
from .evaluate import _nanmean
from .metrics import f0_errors, mcd, mel_l1
from .naturalness import MOS_HEADER, mos_ceiling_line, mos_cells
from .timing import device_name

SCHEMA_VERSION = 2


@dataclass
class _Reference:
    id: str
    mel: np.ndarray  # natural-log mel [n_mels, T]
    f0: np.ndarray | None  # Hz per frame, 0 where unvoiced
    spectrum: torch.Tensor | None = None  # the recording's complex STFT [F, T] (oracle rows only)
    text: str = ""
    embedding: np.ndarray | None = None  # Whisper-encoder frames of the recording (with asr="whisper")


def resolve_vocoder(spec: str, audio: Any, griffin_lim_iters: int | None = None):
    """A weight-free vocoder by name ("griffin-lim", or "griffin-lim:N" for N iterations instead of
    ``griffin_lim_iters`` or the default) or a trained one from a path (``load_vocoder``); it must use the
    data's audio config, or its output would not be comparable frame by frame."""
    from ..vocoders import VOCODER_NAMES, build_vocoder, load_vocoder
    from ..vocoders.griffin_lim import griffin_lim_spec

    key = spec.strip().lower().replace("_", "-")
    gl = griffin_lim_spec(spec)
    if gl is not None:
        kw = {} if griffin_lim_iters is None else {"n_iter": griffin_lim_iters}
        return build_vocoder("griffin-lim", audio_config=audio, **{**kw, **gl})
    if not Path(spec).exists():
        if key in VOCODER_NAMES or key == "vocos":
            raise ValueError(f"vocoder {spec!r} needs trained weights: give the path of a saved vocoder")
        raise ValueError(f"vocoder not found: {spec} (neither a saved vocoder nor 'griffin-lim')")
    model = load_vocoder(spec)
    if model.audio_config != audio:
        raise ValueError(f"vocoder {spec} uses another audio config ({model.audio_config}) than the data ({audio})")
    return model


def _references(data_dir: Path, records: list[dict], audio: Any, loudness_dbfs: float | None,
                with_f0: bool, notes: list[str], with_spectrum: bool = False) -> list[_Reference]:
    """Log-mel (and F0) of each record's recording, cut and levelled as ``tts prepare`` did; the cached
    features (float16 mel) when the recording has moved."""
    from ..audio import MelSpectrogram, extract_f0
    from ..audio.griffin_lim import stft
    from ..audio.processing import normalize_loudness
    from ..data.features import load_features
    from .evaluate import _recording

    mel_fn = MelSpectrogram(audio)
    refs, cached = [], 0
    for rec in records:
        wav = _recording(rec, audio.sample_rate)
        if wav is not None:
            if loudness_dbfs is not None:
                wav = normalize_loudness(wav, loudness_dbfs)
            with torch.inference_mode():
                mel = mel_fn(torch.from_numpy(wav).float()).numpy()
            f0 = extract_f0(wav, audio) if with_f0 else None
            spectrum = stft(torch.from_numpy(wav).float()[None], audio)[0, :, : mel.shape[1]] if with_spectrum else None
        else:
            f = load_features(data_dir / rec["feature"])
            mel, cached = f.mel, cached + 1
            f0 = np.where(f.voiced, np.exp(f.log_f0), 0.0).astype(np.float32) if with_f0 else None
            spectrum = None
            if with_spectrum:
                raise ValueError(f"oracle rows need the recordings, and {rec['id']}'s is not found (moved corpus?)")
        refs.append(_Reference(rec["id"], mel, f0, spectrum, rec.get("text", "")))
    if cached:
        notes.append(f"{cached} recordings not found (moved corpus?): their cached mels are the reference")
    return refs


def _score(spec: str, name: str, parameters: int, synthesize: Callable[[_Reference], torch.Tensor],
           refs: list[_Reference], audio: Any, with_f0: bool, timed: bool = True, recognizer=None,
           mos=None) -> dict:
    """Scores of the waveforms ``synthesize(ref)`` against each reference mel (and F0)."""
    from ..audio import MelSpectrogram, extract_f0
    from .metrics import error_rate, frame_statistics, frechet_distance
    from .naturalness import mean_scores
    from .oversmoothing import embedding_frechet, gv_ratio, ms_distance

    mel_fn = MelSpectrogram(audio)
    if timed:
        with torch.inference_mode():
            synthesize(_Reference(refs[0].id, refs[0].mel[:, :32], None))  # warm-up outside the timing
    per_item = []
    for ref in refs:
        with torch.inference_mode():
            t0 = time.perf_counter()
            wav = synthesize(ref)
            elapsed = time.perf_counter() - t0
            out_mel = mel_fn(wav.float()).numpy()
        wav_np = wav.float().numpy()
        row: dict[str, Any] = {"id": ref.id, "frames": int(ref.mel.shape[1]), "mel_l1": mel_l1(out_mel, ref.mel),
                               "mcd_db": mcd(out_mel, ref.mel, use_dtw=False), "f0_rmse_hz": None,
                               "vuv_error": None, "seconds": len(wav_np) / audio.sample_rate,
                               "vocode_seconds": elapsed if timed else None}
        if with_f0 and ref.f0 is not None:
            row["f0_rmse_hz"], row["vuv_error"] = f0_errors(ref.f0, extract_f0(wav_np, audio))
        row["_mel"] = out_mel
        if mos is not None:
            row["dnsmos"] = mos.score(wav_np, audio.sample_rate)
        if recognizer is not None:
            row["transcript"] = recognizer.normalize(recognizer.transcribe(wav_np, audio.sample_rate))
            if hasattr(recognizer, "embed") and ref.embedding is not None:
                row["_emb"] = recognizer.embed(wav_np, audio.sample_rate)
        per_item.append(row)
    heard = [r.pop("_mel") for r in per_item]
    gv, _ = gv_ratio(heard, [ref.mel for ref in refs])
    ms, _ = ms_distance(heard, [ref.mel for ref in refs])
    frechet_mel = frechet_distance(*frame_statistics(heard), *frame_statistics([ref.mel for ref in refs]))
    asr_scores = {"wer": None, "cer": None, "frechet_whisper": None}
    texts = hyps = emb = None
    if recognizer is not None:
        texts = [recognizer.normalize(ref.text) for ref in refs]
        hyps = [r["transcript"] for r in per_item]
        asr_scores["wer"], asr_scores["cer"] = error_rate(texts, hyps, "word"), error_rate(texts, hyps, "char")
        emb = [r.pop("_emb") for r in per_item if "_emb" in r]
        if emb:
            asr_scores["frechet_whisper"] = embedding_frechet(emb, [ref.embedding for ref in refs
                                                                    if ref.embedding is not None])
    # what the bootstrap needs (popped before the report is returned); embeddings only when every item has one
    items = (heard, emb if emb and len(emb) == len(refs) else None, texts, hyps,
             [(r.get("dnsmos") or {}).get("dnsmos_ovrl") for r in per_item])
    audio_s = sum(r["seconds"] for r in per_item)
    voc_s = sum(r["vocode_seconds"] for r in per_item) if timed else None
    return {
        "vocoder": spec, "name": name, "parameters": parameters,
        "items": len(per_item), **{m: _nanmean([r[m] for r in per_item])
                                   for m in ("mel_l1", "mcd_db", "f0_rmse_hz", "vuv_error")},
        "gv_ratio": gv, "ms_distance_db": ms, "frechet_mel": frechet_mel, **asr_scores,
        **mean_scores(r.get("dnsmos") for r in per_item),
        "audio_seconds": audio_s, "vocode_seconds": voc_s, "rtf": None if voc_s is None else voc_s / max(audio_s, 1e-9),
        "per_item": per_item, "_items": items,
    }


def _score_vocoder(spec: str, model, refs: list[_Reference], audio: Any, with_f0: bool, recognizer=None,
                   mos=None) -> dict:
    return _score(spec, model.name, sum(p.numel() for p in model.parameters()),
                  lambda ref: model(torch.from_numpy(ref.mel)), refs, audio, with_f0, recognizer=recognizer, mos=mos)


def _oracle_rows(vocoders: Sequence[str], models: list, refs: list[_Reference], audio: Any, with_f0: bool,
                 griffin_lim_iters: int | None, say: Callable[[str], None]) -> list[dict]:
    """Magnitude/phase decomposition rows (see the module docstring)."""
    from ..audio.griffin_lim import griffin_lim, istft, mel_to_linear

    def with_recorded_phase(magnitude: Callable[[_Reference], torch.Tensor]) -> Callable[[_Reference], torch.Tensor]:
        def synth(ref: _Reference) -> torch.Tensor:
            s = ref.spectrum
            return istft((magnitude(ref) * s / s.abs().clamp(min=1e-9))[None], audio)[0].clamp(-1, 1)
        return synth

    gl_iters = {} if griffin_lim_iters is None else {"n_iter": griffin_lim_iters}
    rows = []
    say("oracle: Griffin-Lim magnitude + recorded phase")
    rows.append(_score("oracle: Griffin-Lim magnitude + recorded phase", "oracle", 0,
                       with_recorded_phase(lambda ref: mel_to_linear(torch.from_numpy(ref.mel)[None], audio)[0]),
                       refs, audio, with_f0, timed=False))
    say("oracle: recorded magnitude + Griffin-Lim phase")
    rows.append(_score("oracle: recorded magnitude + Griffin-Lim phase", "oracle", 0,
                       lambda ref: griffin_lim(ref.spectrum.abs()[None], audio, **gl_iters)[0].clamp(-1, 1),
                       refs, audio, with_f0, timed=False))
    for spec, model in zip(vocoders, models):
        if hasattr(model, "log_magnitude_and_phase"):
            say(f"oracle: {spec} magnitude + recorded phase")
            rows.append(_score(f"oracle: {spec} magnitude + recorded phase", "oracle", 0,
                               with_recorded_phase(lambda ref, m=model: m.log_magnitude_and_phase(
                                   torch.from_numpy(ref.mel)[None])[0][0].exp()),
                               refs, audio, with_f0, timed=False))
    return rows


def evaluate_vocoders(data_dir: str | Path, vocoders: Sequence[str], split: str = "test", items: int | None = 20,
                      threads: int | None = None, f0: bool = True, griffin_lim_iters: int | None = None,
                      oracles: bool = False, progress: Callable[[str], None] | None = None,
                      asr: str | None = None, asr_model: str | None = None, mos: str | None = None,
                      bootstrap: int = 500) -> dict:
    """Resynthesis scores of each vocoder (``"griffin-lim"`` or the path of a saved vocoder) on the first
    ``items`` utterances of ``split`` of a ``tts prepare`` directory; see the module docstring for the report.
    ``threads`` fixes torch's thread count for the run (restored afterwards). ``mos`` ("dnsmos"): the
    reference-free quality prediction of every output and of the recordings (:mod:`.naturalness`).
    ``bootstrap`` (redraws; 0: none): intervals of the deciding measures and each row's paired difference to
    the first row, items and recordings redrawn together (:mod:`.bootstrap`)."""
    import datetime as _dt

    from ..audio import AudioConfig
    from ..data.dataset import read_manifest

    say = progress or (lambda msg: None)
    data_dir = Path(data_dir)
    if not vocoders:
        raise ValueError("no vocoder given")
    prep = data_dir / "prepare.json"
    if not prep.is_file():
        raise FileNotFoundError(f"{prep} not found: not a `tts prepare` output directory")
    settings = json.loads(prep.read_text(encoding="utf-8"))
    audio = AudioConfig.from_dict(settings.get("audio", {}))  # the config the features were made with
    records = read_manifest(data_dir / "manifest.jsonl", split)
    if not records:
        raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
    records = records[: len(records) if items is None else items]
    models = [resolve_vocoder(v, audio, griffin_lim_iters) for v in vocoders]  # all errors before any work
    recognizer = None
    if asr:
        from .asr import make_recognizer

        recognizer = make_recognizer(asr, asr_model, threads=threads or torch.get_num_threads())
    predictor = None
    if mos:
        from .naturalness import make_mos_predictor

        predictor = make_mos_predictor(mos, threads=threads or torch.get_num_threads())

    previous = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(threads)
    try:
        notes: list[str] = []
        say(f"reference mels of {len(records)} '{split}' recordings")
        refs = _references(data_dir, records, audio, settings.get("loudness_dbfs"), f0, notes, oracles)
        asr_info = None
        if recognizer is not None:
            from .evaluate import _recording
            from .metrics import error_rate

            say("recognizing the recordings")
            wavs = [_recording(rec, audio.sample_rate) for rec in records]
            hyps, texts = [], []
            for ref, wav in zip(refs, wavs):
                if wav is None:
                    continue
                hyps.append(recognizer.normalize(recognizer.transcribe(wav, audio.sample_rate)))
                texts.append(recognizer.normalize(ref.text))
                if hasattr(recognizer, "embed"):
                    ref.embedding = recognizer.embed(wav, audio.sample_rate)
            asr_info = {"engine": recognizer.name, "version": recognizer.version,
                        "recordings": {"wer": error_rate(texts, hyps, "word"), "cer": error_rate(texts, hyps, "char"),
                                       "items": len(hyps)} if hyps else None}
        mos_info = None
        if predictor is not None:
            from .evaluate import _recording
            from .naturalness import mean_scores

            say("quality prediction of the recordings")
            wavs = [w for w in (_recording(rec, audio.sample_rate) for rec in records) if w is not None]
            mos_info = {"engine": predictor.name, "version": predictor.version,
                        "recordings": mean_scores(predictor.score(w, audio.sample_rate) for w in wavs) if wavs else None}
        results = []
        for spec, model in zip(vocoders, models):
            say(f"vocoder {spec}")
            results.append(_score_vocoder(spec, model, refs, audio, f0, recognizer, predictor))
        if oracles:
            results += _oracle_rows(vocoders, models, refs, audio, f0, griffin_lim_iters, say)
        item_stats = [ItemStatistics(*r.pop("_items")) if bootstrap else r.pop("_items") for r in results]
        intervals = None
        if bootstrap and len(refs) >= 2:
            say(f"bootstrap: {bootstrap} redraws of the items")
            ref_emb = [ref.embedding for ref in refs]
            reference = ItemStatistics([ref.mel for ref in refs],
                                       ref_emb if all(e is not None for e in ref_emb) else None)
            intervals = paired_bootstrap(item_stats, reference, resamples=bootstrap)
        n_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(previous)
    return {
        "schema_version": SCHEMA_VERSION, "kind": "evaluate-vocoder",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "data": str(data_dir), "split": split, "items": len(refs), "audio": audio.to_dict(),
        "machine": {"cpu": device_name("cpu"), "platform": platform.platform(), "python": platform.python_version(),
                    "torch": torch.__version__, "threads": n_threads},
        "asr": asr_info, "mos": mos_info, "results": results, "bootstrap": intervals, "notes": notes,
    }


def _fmt(v: float | None, spec: str) -> str:
    return "n/a" if v is None else format(v, spec)


def format_vocoder_evaluation(report: dict) -> str:
    """Markdown table of :func:`evaluate_vocoders`' report."""
    m = report["machine"]
    threads = f"{m['threads']} thread{'s' if m['threads'] != 1 else ''}"
    lines = [
        (f"resynthesis of {report['items']} '{report['split']}' recordings of {report['data']} (their log-mel -> "
         "vocoder -> log-mel, frame-aligned); CPU RTF = vocoding time / audio duration"),
        f"| vocoder | items | log-mel L1 | MCD dB | F0 RMSE Hz | V/UV error | GV ratio | MS dist dB | Fréchet mel | WER "
        f"| CER | Fréchet Whisper | RTF ({threads}) |" + (MOS_HEADER if report.get("mos") else ""),
        "|---" * (13 + (3 if report.get("mos") else 0)) + "|",
    ]
    for r in report["results"]:
        lines.append(f"| {r['vocoder']} ({r['name']}) | {r['items']} | {_fmt(r['mel_l1'], '.4f')} | "
                     f"{_fmt(r['mcd_db'], '.3f')} | {_fmt(r['f0_rmse_hz'], '.1f')} | {_fmt(r['vuv_error'], '.3f')} | "
                     f"{_fmt(r.get('gv_ratio'), '.3f')} | {_fmt(r.get('ms_distance_db'), '.2f')} | "
                     f"{_fmt(r.get('frechet_mel'), '.2f')} | {_fmt(r.get('wer'), '.3f')} | {_fmt(r.get('cer'), '.3f')} | "
                     f"{_fmt(r.get('frechet_whisper'), '.2f')} | {_fmt(r['rtf'], '.4f')} |"
                     + (mos_cells(r) if report.get("mos") else ""))
    asr = report.get("asr")
    if asr and asr.get("recordings"):
        rec = asr["recordings"]
        lines.append(f"ASR {asr['engine']} {asr['version']}: on the recordings themselves WER {rec['wer']:.3f}, "
                     f"CER {rec['cer']:.3f}")
    if report.get("mos"):
        lines.append(mos_ceiling_line(report["mos"]))
    lines += format_differences(report.get("bootstrap"), [r["vocoder"] for r in report["results"]])
    lines.append(f"{m['cpu']}, {threads}, torch {m['torch']}")
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)

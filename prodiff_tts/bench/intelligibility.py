"""Intelligibility of a voice on any text (``tts evaluate --texts FILE --asr``).

No recordings are needed, so it scores sentences outside every corpus: each text is synthesized as a user
would (``Synthesizer.synthesize``, predicted durations, seed ``seed + index``) and transcribed by the offline
recognizer; WER/CER compare the transcript with the text, both through the recognizer's normalizer.

Report (``schema_version`` 2)::

    {"schema_version": 2, "kind": "intelligibility", "created", "bundle", "vocoders", "seed", "torch",
     "threads", "asr": {"engine", "version"}, "reference": {"data", "split", "items"} | null, "texts": int,
     "results": [{"steps", "schedule", "source", "denoiser", "vocoder", "wer", "cer", "gv_ratio",
                  "ms_distance_db", "frechet_mel", "frechet_whisper", "gv_per_band", "ms_per_band",
                  "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808",
                  "per_item": [{"text", "normalized", "transcript", "dnsmos"}]}],
     "mos": {"engine", "version", "recordings": {...} | null} | null,
     "bootstrap": {...} | null (:func:`.bootstrap.paired_bootstrap`), "notes": [str]}

With ``mos`` ("dnsmos"), every rendition also gets DNSMOS's reference-free scores (:mod:`.naturalness`): the
one measure here that compares two voices on the same sentences without recordings of either.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from .bootstrap import ItemStatistics, paired_bootstrap
from .metrics import error_rate

SCHEMA_VERSION = 2


def read_texts(path: str | Path) -> list[str]:
    """One sentence per line; blank lines and lines starting with ``#`` are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    texts = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not texts:
        raise ValueError(f"no text in {path} (one sentence per line)")
    return texts


def reference_set(data_dir: str | Path, split: str, items: int | None, sample_rate: int, embed=None, mos=None):
    """Log-mels (as prepared), with ``embed`` Whisper-encoder frames, and with ``mos`` the mean predicted
    quality of a corpus split's recordings."""
    from ..data.dataset import read_manifest
    from ..data.features import load_features
    from .evaluate import _recording

    data_dir = Path(data_dir)
    records = read_manifest(data_dir / "manifest.jsonl", split)
    if not records:
        raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
    records = records[: len(records) if items is None else items]
    mels = [load_features(data_dir / r["feature"]).mel for r in records]
    emb = quality = None
    if embed is not None or mos is not None:
        wavs = [w for w in (_recording(r, sample_rate) for r in records) if w is not None]
        if embed is not None:
            emb = [embed(w, sample_rate) for w in wavs] or None
        if mos is not None and wavs:
            from .naturalness import mean_scores

            quality = mean_scores(mos.score(w, sample_rate) for w in wavs)
    return mels, emb, quality


def evaluate_texts(bundle: str | Path, texts: Sequence[str], steps: Sequence[int] | None = None,
                   schedules: Sequence[str] = ("uniform", "searched"), vocoders: Sequence[str | None] | None = None,
                   seed: int = 0, device: str = "cpu", asr: str = "whisper", asr_model: str | None = None,
                   reference_data: str | Path | None = None, reference_split: str = "test",
                   reference_items: int | None = None, progress: Callable[[str], None] | None = None,
                   denoisers: Sequence[str | None] | None = None, mos: str | None = None,
                   bootstrap: int = 500) -> dict:
    """WER/CER of the recognizer on the voice's renditions of ``texts``, per step count, denoiser (``None``: the
    voice's choice; "teacher": the undistilled teacher at that step count), schedule and vocoder;
    with ``reference_data`` (a prepared corpus) also GV ratio, modulation-spectrum distance and Fréchet
    distances of the set of renditions against that corpus' recordings (an unpaired reference set).
    ``bootstrap`` (redraws; 0: none): intervals of the measures and each row's paired difference to the first
    row, the texts redrawn together and the reference set on its own (:mod:`.bootstrap`)."""
    import numpy as np

    from ..api import Synthesizer
    from ..audio import MelSpectrogram
    from .asr import make_recognizer
    from .benchmark import default_steps
    from .evaluate import same_plan_note
    from .metrics import frame_statistics, frechet_distance
    from .naturalness import make_mos_predictor, mean_scores
    from .oversmoothing import embedding_frechet, gv_ratio, ms_distance

    say = progress or (lambda msg: None)
    recognizer = make_recognizer(asr, asr_model, threads=torch.get_num_threads())  # one-line error if missing
    vocoders = list(dict.fromkeys(vocoders or [None]))
    synths = [Synthesizer.from_pretrained(bundle, device=device, vocoder=v) for v in vocoders]
    synth = synths[0]
    predictor = make_mos_predictor(mos, threads=torch.get_num_threads()) if mos else None
    embed = getattr(recognizer, "embed", None)
    ref_mels = ref_emb = ref_quality = None
    if reference_data is not None:
        say(f"reference set: the '{reference_split}' recordings of {reference_data}")
        ref_mels, ref_emb, ref_quality = reference_set(reference_data, reference_split, reference_items,
                                                       synth.audio.sample_rate, embed, predictor)
    reanalyse = MelSpectrogram(synth.audio)
    notes: list[str] = []
    plans = []
    for k in sorted(set(steps or default_steps(synth))):
        for den in dict.fromkeys(denoisers or [None]):
            for schedule in dict.fromkeys(schedules):
                plan = synth.plan(k, schedule, den)  # validates the step count and the denoiser
                if any(k == pk and plan == p for pk, _, p in plans):
                    notes.append(same_plan_note(k, schedule, den, plan))
                    continue
                plans.append((k, schedule, plan))
    normalized = [recognizer.normalize(t) for t in texts]
    results = []
    item_stats = []
    for k, schedule, plan in plans:
        say(f"{k} steps, {schedule} schedule ({plan.source}), {plan.denoiser} denoiser")
        mels = [synth.mel_batch([t], steps=k, seed=seed + i, schedule=schedule, denoiser=plan.denoiser)[0]
                for i, t in enumerate(texts)]
        for vsynth in synths:
            hyps, heard, emb, quality = [], [], [], []
            for mel in mels:
                wav = vsynth.vocode([mel])[0]
                sr = vsynth.audio.sample_rate
                hyps.append(recognizer.normalize(recognizer.transcribe(wav, sr)))
                quality.append(predictor.score(wav, sr) if predictor else None)
                if ref_mels is not None:
                    with torch.no_grad():
                        heard.append(reanalyse(torch.from_numpy(np.asarray(wav, dtype=np.float32))[None])[0].numpy())
                    if embed is not None:
                        emb.append(embed(wav, sr))
            row = {
                "steps": k, "schedule": schedule, "source": plan.source, "denoiser": plan.denoiser,
                "vocoder": vsynth.vocoder_label,
                "wer": error_rate(normalized, hyps, "word"), "cer": error_rate(normalized, hyps, "char"),
                "gv_ratio": None, "ms_distance_db": None, "frechet_mel": None, "frechet_whisper": None,
                "gv_per_band": None, "ms_per_band": None,
                **mean_scores(quality),
                "per_item": [{"text": t, "normalized": n, "transcript": h, "dnsmos": q}
                             for t, n, h, q in zip(texts, normalized, hyps, quality)],
            }
            if ref_mels is not None:
                gv, gv_bands = gv_ratio(heard, ref_mels)
                ms, ms_bands = ms_distance(heard, ref_mels)
                row.update(gv_ratio=gv, ms_distance_db=ms, gv_per_band=gv_bands.tolist(), ms_per_band=ms_bands.tolist(),
                           frechet_mel=frechet_distance(*frame_statistics(heard), *frame_statistics(ref_mels)),
                           frechet_whisper=embedding_frechet(emb, ref_emb) if emb and ref_emb else None)
            results.append(row)
            if bootstrap:
                item_stats.append(ItemStatistics(heard or None, emb or None, normalized, hyps,
                                                 [(q or {}).get("dnsmos_ovrl") for q in quality]))
    intervals = None
    if bootstrap and len(texts) >= 2:
        say(f"bootstrap: {bootstrap} redraws of the texts")
        reference = ItemStatistics(ref_mels, ref_emb if ref_emb and len(ref_emb) == len(ref_mels) else None) \
            if ref_mels is not None else None
        intervals = paired_bootstrap(item_stats, reference, paired_reference=False, resamples=bootstrap, seed=seed)
    if ref_mels is None:
        notes.append("no reference set (--data PREPARED): GV, modulation spectrum and Fréchet not measured")
    return {
        "schema_version": SCHEMA_VERSION, "kind": "intelligibility",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "bundle": str(bundle), "vocoders": [s_.vocoder_label for s_ in synths], "seed": seed,
        "torch": torch.__version__, "threads": torch.get_num_threads(),
        "asr": {"engine": recognizer.name, "version": recognizer.version},
        "reference": None if reference_data is None else {"data": str(reference_data), "split": reference_split,
                                                          "items": len(ref_mels)},
        "texts": len(texts), "results": results, "bootstrap": intervals, "notes": notes,
        "mos": None if predictor is None else {"engine": predictor.name, "version": predictor.version,
                                               "recordings": ref_quality},
    }


def format_intelligibility(report: dict) -> str:
    from .bootstrap import format_differences
    from .evaluate_table import fmt, row_labels
    from .naturalness import MOS_HEADER, mos_ceiling_line, mos_cells

    ref, mos = report.get("reference"), report.get("mos")
    head = (f"{report['texts']} texts, voice {report['bundle']}; synthesized as `tts synthesize` does (seed "
            f"{report['seed']} + index), transcribed by {report['asr']['engine']} {report['asr']['version']}"
            + (f"; reference set: {ref['items']} '{ref['split']}' recordings of {ref['data']}" if ref else "")
            + "\n| steps | schedule | denoiser | vocoder | WER | CER | GV ratio | MS dist dB | Fréchet mel "
              "| Fréchet Whisper |" + (MOS_HEADER if mos else "")
            + "\n" + "|---" * (10 + (3 if mos else 0)) + "|")
    rows = [f"| {r['steps']} | {r['schedule']} | {r['denoiser']} | {r['vocoder']} | {r['wer']:.3f} | {r['cer']:.3f} "
            f"| {fmt(r['gv_ratio'], '.3f')} | {fmt(r['ms_distance_db'], '.2f')} | {fmt(r['frechet_mel'], '.2f')} "
            f"| {fmt(r['frechet_whisper'], '.2f')} |" + (mos_cells(r) if mos else "") for r in report["results"]]
    tail = [mos_ceiling_line(mos)] if mos else []
    tail += format_differences(report.get("bootstrap"), row_labels(report["results"]))
    return "\n".join([head, *rows, *tail, *(f"note: {n}" for n in report["notes"])])

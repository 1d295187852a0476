"""Held-out evaluation of generated mels against the recordings.

* :class:`HeldOutSet`: teacher-forced durations and fixed noise (frames align with the recording): the
  fitness of the schedule search and the distillation tables.
* :func:`evaluate_bundle` (``tts evaluate``): what users hear. A voice bundle synthesizes each held-out text
  free-running (predicted durations, one fixed seed per utterance) and is scored against the recording along
  a DTW path (log-mel L1, MCD, F0 RMSE and voicing error of the vocoded audio), against the teacher at its
  largest step count (distilled students), teacher-forced for comparison, and optionally by a recognizer
  (WER/CER, with the recognizer's WER on the recordings as the ceiling).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from ..data.dataset import FeatureDataset, collate
from ..data.stats import FeatureStats, same_corpus
from ..diffusion.sampler import ddim_sample
from ..diffusion.schedule import schedule_from_config, uniform_timesteps
from .metrics import (
    cepstral_dtw_path,
    error_rate,
    f0_errors,
    frame_statistics,
    frechet_distance,
    mcd,
    mel_l1,
    mel_l1_dtw,
)
from .bootstrap import ItemStatistics, paired_bootstrap
from .naturalness import mean_scores
from .oversmoothing import embedding_frechet, gv_ratio, ms_distance


@dataclass
class HeldOutBatch:
    batch: dict
    cond: torch.Tensor
    mask: torch.Tensor
    noise: torch.Tensor
    lengths: list[int]
    reference: list[np.ndarray]  # natural-log mel of each recording [n_mels, T]


class HeldOutSet:
    """Items of a split with their conditions computed once (durations from the aligner: teacher forcing, so
    frames align with the recording) and fixed noise per item (common random numbers across candidates)."""

    def __init__(self, model, data_dir: str | Path, split: str = "test", items: int | None = 32,
                 batch_size: int = 8, seed: int = 0) -> None:
        data_dir = Path(data_dir)
        self.stats = FeatureStats.load(data_dir / "stats.json")
        ds = FeatureDataset(data_dir, split, self.stats)
        if len(ds) == 0:
            raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
        n = len(ds) if items is None else min(items, len(ds))
        order = sorted(range(n), key=lambda i: ds.records[i]["num_frames"])  # similar lengths batch together
        self.mean = torch.tensor(self.stats.mel_mean).view(1, -1, 1)
        self.std = torch.tensor(self.stats.mel_std).view(1, -1, 1)
        gen = torch.Generator().manual_seed(seed)
        self.batches: list[HeldOutBatch] = []
        model.eval()
        with torch.no_grad():
            for start in range(0, n, batch_size):
                b = collate([ds[i] for i in order[start : start + batch_size]])
                cond, mask = model.condition_teacher_forced(b, prosody="predicted")
                lengths = b["mel_lengths"].tolist()
                ref = self.denormalize(b["mel"])
                self.batches.append(HeldOutBatch(b, cond, mask, torch.randn(b["mel"].shape, generator=gen),
                                                 lengths, [ref[i, :, :T].numpy() for i, T in enumerate(lengths)]))
        self.ids = [i for hb in self.batches for i in hb.batch["ids"]]

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        return mel * self.std + self.mean

    @torch.no_grad()
    def generate(self, denoiser, schedule, timesteps: Sequence[float],
                 layer_masks: Sequence | None = None) -> list[np.ndarray]:
        """Natural-log mels of every item, generated with ``denoiser`` at ``timesteps``."""
        out = []
        for hb in self.batches:
            fn = denoiser.bind(hb.cond, hb.mask, layer_masks)
            mel = self.denormalize(ddim_sample(fn, schedule, timesteps, hb.noise.shape, noise=hb.noise, mask=hb.mask))
            out += [mel[i, :, :T].numpy() for i, T in enumerate(hb.lengths)]
        return out

    @property
    def references(self) -> list[np.ndarray]:
        return [r for hb in self.batches for r in hb.reference]


def score(generated: list[np.ndarray], references: list[np.ndarray], with_mcd: bool = True) -> dict[str, float]:
    """Mean log-mel L1 and MCD (dB, DTW) of generated vs reference mels, item by item."""
    res = {"mel_l1": float(np.mean([mel_l1(g, r) for g, r in zip(generated, references)]))}
    if with_mcd:
        res["mcd"] = float(np.mean([mcd(g, r) for g, r in zip(generated, references)]))
    return res


class DistillEvaluation:
    """The per-round table of ``tts distill``: each student against the recordings, against the K0-step
    teacher, and the undistilled teacher sampled at the student's step count (the baseline to beat)."""

    def __init__(self, teacher_checkpoint: str | Path, data_dir: str | Path, split: str = "test",
                 items: int | None = 32, start_steps: int = 8, seed: int = 0) -> None:
        from ..checkpoints import load_teacher_checkpoint

        self.model, hp = load_teacher_checkpoint(teacher_checkpoint)
        self.schedule = schedule_from_config(hp["diffusion"])
        self.held_out = HeldOutSet(self.model, data_dir, split, items, seed=seed)
        self.start_steps = start_steps
        self.teacher_k0 = self.held_out.generate(self.model.denoiser, self.schedule, uniform_timesteps(start_steps))
        self.real_stats = frame_statistics(self.held_out.references)

    def row(self, name: str, steps: int, generated: list[np.ndarray]) -> dict:
        r = {"model": name, "steps": steps, **score(generated, self.held_out.references)}
        r["l1_to_teacher_k0"] = float(np.mean([mel_l1(g, t) for g, t in zip(generated, self.teacher_k0)]))
        # L1 and MCD reward smooth (mean-like) mels; the frame-distribution distance, the GV ratio and the
        # modulation spectrum see the detail a listener hears
        r["frechet"] = frechet_distance(*frame_statistics(generated), *self.real_stats)
        r["gv_ratio"] = gv_ratio(generated, self.held_out.references)[0]
        r["ms_distance_db"] = ms_distance(generated, self.held_out.references)[0]
        return r

    def round_table(self, student_file: str | Path, steps: int) -> list[dict]:
        import copy

        from ..bundle import load_weights

        student = copy.deepcopy(self.model.denoiser)
        student.load_state_dict(load_weights(Path(student_file)))
        student.eval()
        ts = uniform_timesteps(steps)
        return [
            self.row("teacher", self.start_steps, self.teacher_k0),
            self.row("teacher", steps, self.held_out.generate(self.model.denoiser, self.schedule, ts)),
            self.row("student", steps, self.held_out.generate(student, self.schedule, ts)),
        ]

    def format(self, rows: list[dict]) -> str:
        n = len(self.held_out.ids)
        head = (f"| model | steps | mel L1 (log-mel, vs recording) | MCD dB (DTW) | Fréchet (mel frames) "
                f"| GV ratio | MS dist dB | L1 to {self.start_steps}-step teacher |\n|---|---|---|---|---|---|---|---|")
        body = [f"| {r['model']} | {r['steps']} | {r['mel_l1']:.4f} | {r['mcd']:.3f} | {r['frechet']:.3f} "
                f"| {r['gv_ratio']:.3f} | {r['ms_distance_db']:.2f} | {r['l1_to_teacher_k0']:.4f} |" for r in rows]
        return "\n".join([head, *body, f"\n{n} held-out utterances, teacher-forced durations, fixed noise seeds"])


# --- free-running evaluation of a voice bundle (``tts evaluate``) -------------------------------------------

EVAL_SCHEMA_VERSION = 2
EVAL_METRICS = ("mel_l1_dtw", "mcd_db", "f0_rmse_hz", "vuv_error", "l1_to_teacher_dtw")


def _nanmean(values) -> float | None:
    v = np.asarray([x for x in values if x is not None], dtype=np.float64)
    v = v[~np.isnan(v)]
    return float(v.mean()) if v.size else None


def _recording(rec: dict, sample_rate: int) -> np.ndarray | None:
    """The recording of a manifest record, cut at the trim points its features were computed on."""
    from ..audio import read_wav, resample

    path = Path(rec.get("wav", ""))
    if not path.is_file():
        return None
    wav, sr = read_wav(path)
    wav = resample(wav, sr, sample_rate)
    start, end = rec.get("trim", (0.0, len(wav) / sample_rate))
    return wav[int(round(start * sample_rate)) : int(round(end * sample_rate))]


def aligned_scores(gen_mel: np.ndarray, ref_mel: np.ndarray, gen_f0: np.ndarray | None,
                   ref_f0: np.ndarray | None) -> dict[str, float]:
    """Log-mel L1, MCD, F0 RMSE (Hz, frames voiced in both) and voicing decision error, all along one DTW path
    between the generated and the reference mel (cepstral distance)."""
    ia, ib = cepstral_dtw_path(gen_mel, ref_mel)
    out = {"mel_l1_dtw": mel_l1_dtw(gen_mel, ref_mel, (ia, ib)), "mcd_db": mcd(gen_mel, ref_mel, path=(ia, ib))}
    if gen_f0 is not None and ref_f0 is not None:
        ia_f = np.minimum(ia, len(gen_f0) - 1)
        ib_f = np.minimum(ib, len(ref_f0) - 1)
        out["f0_rmse_hz"], out["vuv_error"] = f0_errors(np.asarray(ref_f0)[ib_f], np.asarray(gen_f0)[ia_f])
    return out


def evaluate_bundle(bundle: str | Path, data_dir: str | Path, split: str = "test", items: int | None = 20,
                    steps: Sequence[int] | None = None, schedules: Sequence[str] = ("uniform", "searched"),
                    vocoder: str | None = None, asr: str | None = None, seed: int = 0, device: str = "cpu",
                    keep_mels: int = 0, progress=None, vocoders: Sequence[str | None] | None = None,
                    asr_model: str | None = None, denoisers: Sequence[str | None] | None = None,
                    mos: str | None = None, bootstrap: int = 500) -> dict:
    """Scores a voice bundle on held-out utterances of a prepared corpus; returns a JSON-able report.

    ``denoisers`` (default ``[None]``, the voice's own choice per step count): a grid, e.g. ``[None,
    "teacher"]`` scores a distilled student and the undistilled teacher at the same step count side by side
    (:meth:`Synthesizer.plan`).

    ``vocoders`` (default ``[vocoder]``): every plan's mels go through each of them (one row per pair). ``asr``:
    None, "whisper" or "pocketsphinx" (``asr_model``: a faster-whisper model directory). ``mos`` ("dnsmos"):
    reference-free quality prediction of every output and of the recordings (:mod:`.naturalness`).
    ``bootstrap`` (redraws; 0: none): intervals of the deciding measures and each row's paired difference to
    the first row, items and recordings redrawn together (:mod:`.bootstrap`).

    ``schema_version`` 2::

        {"schema_version": 2, "kind": "evaluate", "created", "bundle", "data", "split", "items", "vocoder",
         "seed", "torch", "threads", "teacher_reference": {"denoiser", "steps"} | null,
         "asr": {"engine", "version", "recordings": {"wer", "cer"} | null} | null,
         "mos": {"engine", "version", "recordings": {"dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808"}} | null,
         "results": [{"steps", "schedule", "source", "denoiser", "vocoder", "distilled", "items", "mel_l1_dtw",
                      "mcd_db", "f0_rmse_hz", "vuv_error", "l1_to_teacher_dtw", "teacher_forced_mel_l1", "wer", "cer",
                      "gv_ratio", "ms_distance_db", "frechet_mel", "frechet_whisper", "gv_per_band", "ms_per_band",
                      "dnsmos_ovrl", "dnsmos_sig", "dnsmos_bak", "dnsmos_p808",
                      "per_item": [{"id", "frames", "reference_frames", "mel_l1_dtw", "mcd_db", "f0_rmse_hz",
                                    "vuv_error", "l1_to_teacher_dtw", "normalized", "transcript", "dnsmos"}]}],
         "recordings": [{"id", "text", "transcript"}], "bootstrap": {...} | null, "notes": [str]}

    GV ratio, modulation-spectrum distance and the Fréchet distances compare the set of generated utterances
    with the set of recordings, on the log-mel recomputed from the vocoded audio (what a listener hears);
    ``frechet_whisper`` is on Whisper-encoder frames and needs ``asr="whisper"``.

    Metrics that do not apply are ``null`` (``l1_to_teacher_dtw`` for the teacher itself, ``wer``/``cer``
    without ``asr``, ``f0_rmse_hz`` when no frame is voiced in both). ``keep_mels`` > 0 also returns the
    first utterances' mels under ``"_mels"`` (for plots; not JSON)."""
    import datetime as _dt

    from ..api import Synthesizer
    from ..audio import MelSpectrogram, extract_f0
    from ..data.dataset import read_manifest
    from ..data.features import load_features
    from ..text import Vocab, normalize_text

    say = progress or (lambda msg: None)
    for sc in schedules:
        if sc not in ("uniform", "searched"):
            raise ValueError(f"schedule must be 'uniform' or 'searched', got {sc!r}")
    vocoders = list(dict.fromkeys(vocoders or [vocoder]))
    synth = Synthesizer.from_pretrained(bundle, device=device, vocoder=vocoders[0])  # checks the vocoder
    by_vocoder = {vocoders[0]: synth}
    for v in vocoders[1:]:
        by_vocoder[v] = Synthesizer.from_pretrained(bundle, device=device, vocoder=v)
    if steps is None:
        from .benchmark import default_steps

        steps = default_steps(synth)
    plans = []
    notes: list[str] = []
    for k in sorted(set(steps)):
        for den in dict.fromkeys(denoisers or [None]):
            for sc in dict.fromkeys(schedules):
                plan = synth.plan(k, sc, den)  # validates the step count and the denoiser
                if any(p.steps == k and p.plan == plan for p in plans):  # the same plan under another name
                    notes.append(same_plan_note(k, sc, den, plan))
                    continue
                plans.append(_EvalPlan(k, sc, plan))
    data_dir = Path(data_dir)
    records = read_manifest(data_dir / "manifest.jsonl", split)
    if not records:
        raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
    records = records[: len(records) if items is None else items]
    audio = synth.audio
    if any(p.schedule == "searched" and p.plan.source == "uniform" for p in plans):
        notes.append("no searched schedule for some step counts: those rows use the uniform timesteps")
    stats = FeatureStats.load(data_dir / "stats.json")

    refs = []
    for rec in records:
        f = load_features(data_dir / rec["feature"])
        f0 = np.where(f.voiced, np.exp(f.log_f0), 0.0).astype(np.float32)
        refs.append({"id": rec["id"], "text": rec["text"], "mel": f.mel, "f0": f0,
                     "normalized": rec.get("normalized") or normalize_text(rec["text"])})

    # teacher-forced comparison (needs the corpus' phoneme ids to be the voice's)
    held_out = None
    if synth.device.type != "cpu":
        notes.append("teacher-forced scores are computed on CPU only: skipped")
    elif Vocab.load(data_dir / "vocab.json") == synth.vocab:
        held_out = HeldOutSet(synth.model, data_dir, split, len(records), seed=seed)
        tf_refs = held_out.references
    else:
        notes.append("the corpus was prepared with another phoneme vocabulary: no teacher-forced scores")
    if not same_corpus(stats, FeatureStats.load(synth.bundle_dir / "stats.json")):
        notes.append("the corpus' feature statistics differ from the voice's (another corpus?)")

    recognizer = None
    asr_info = None
    if asr:
        from .asr import make_recognizer

        recognizer = make_recognizer(asr, asr_model, threads=torch.get_num_threads())
        asr_info = {"engine": recognizer.name, "version": recognizer.version, "recordings": None}
    embed = getattr(recognizer, "embed", None)
    predictor = None
    if mos:
        from .naturalness import make_mos_predictor

        predictor = make_mos_predictor(mos, threads=torch.get_num_threads())

    def transcribe(wav: np.ndarray) -> str:
        return recognizer.normalize(recognizer.transcribe(wav, audio.sample_rate)) if recognizer else ""

    say("reading the recordings")
    recorded_wavs = [_recording(rec, audio.sample_rate) for rec in records]
    recorded_mels = [r["mel"] for r in refs]
    real_frames = frame_statistics(recorded_mels)
    recorded_emb = [embed(w, audio.sample_rate) for w in recorded_wavs if w is not None] if embed else None
    reanalyse = MelSpectrogram(audio)

    def free_running(k: int, schedule: str, i: int, denoiser: str) -> np.ndarray:
        return synth.mel_batch([refs[i]["text"]], steps=k, seed=seed + i, schedule=schedule, denoiser=denoiser)[0]

    teacher_mels = None
    teacher = next((e for e in synth.config.denoisers if not e.distilled), None)
    teacher_ref = None
    if teacher is not None and any(p.distilled(synth) for p in plans):
        k_max = max(teacher.steps)
        if synth.plan(k_max, "uniform").denoiser == teacher.name:
            say(f"teacher reference: {teacher.name} at {k_max} steps")
            teacher_ref = {"denoiser": teacher.name, "steps": k_max}
            teacher_mels = [free_running(k_max, "uniform", i, teacher.name).cpu().numpy() for i in range(len(refs))]

    results = []
    item_stats: list[ItemStatistics] = []
    kept: list[list[np.ndarray]] = [[r["mel"]] for r in refs[:keep_mels]]
    texts = [recognizer.normalize(r["text"]) if recognizer else r["normalized"] for r in refs]
    for p in plans:
        say(f"{p.steps} steps, {p.schedule} schedule ({p.plan.source}), {p.plan.denoiser} denoiser")
        mels_t = [free_running(p.steps, p.schedule, i, p.plan.denoiser) for i in range(len(refs))]
        tf = None
        if held_out is not None:
            den = synth.denoisers[p.plan.denoiser]
            tf = score(held_out.generate(den, synth.schedule, p.plan.timesteps, p.plan.layer_masks), tf_refs,
                       with_mcd=False)["mel_l1"]
        for v, vsynth in by_vocoder.items():
            per_item, hyps, heard, emb = [], [], [], []
            for i, ref in enumerate(refs):
                wav = vsynth.vocode([mels_t[i]])[0]
                mel = mels_t[i].cpu().numpy()
                gen_f0 = extract_f0(wav, audio)
                row = {"id": ref["id"], "frames": int(mel.shape[-1]), "reference_frames": int(ref["mel"].shape[-1]),
                       **aligned_scores(mel, ref["mel"], gen_f0, ref["f0"]), "l1_to_teacher_dtw": None,
                       "transcript": None}
                if teacher_mels is not None and p.distilled(synth):
                    row["l1_to_teacher_dtw"] = mel_l1_dtw(mel, teacher_mels[i])
                if recognizer:
                    row["normalized"], row["transcript"] = texts[i], transcribe(wav)
                    hyps.append(row["transcript"])
                if predictor:
                    row["dnsmos"] = predictor.score(wav, audio.sample_rate)
                if embed:
                    emb.append(embed(wav, audio.sample_rate))
                with torch.no_grad():
                    heard.append(reanalyse(torch.from_numpy(np.asarray(wav, dtype=np.float32))[None])[0].numpy())
                if i < keep_mels and v == vocoders[0]:
                    kept[i].append(mel)
                per_item.append(row)
            summary = {m: _nanmean(r.get(m) for r in per_item) for m in EVAL_METRICS}
            gv, gv_bands = gv_ratio(heard, recorded_mels)
            ms, ms_bands = ms_distance(heard, recorded_mels)
            results.append({
                "steps": p.steps, "schedule": p.schedule, "source": p.plan.source, "denoiser": p.plan.denoiser,
                "vocoder": vsynth.vocoder_label, "distilled": p.distilled(synth), "items": len(per_item), **summary,
                "teacher_forced_mel_l1": tf,
                "wer": error_rate(texts, hyps, "word") if recognizer else None,
                "cer": error_rate(texts, hyps, "char") if recognizer else None,
                "gv_ratio": gv, "ms_distance_db": ms,
                "frechet_mel": frechet_distance(*frame_statistics(heard), *real_frames),
                "frechet_whisper": embedding_frechet(emb, recorded_emb) if embed and recorded_emb else None,
                "gv_per_band": gv_bands.tolist(), "ms_per_band": ms_bands.tolist(),
                **mean_scores(r.get("dnsmos") for r in per_item),
                "per_item": per_item,
            })
            if bootstrap:
                item_stats.append(ItemStatistics(heard, emb or None, texts if recognizer else None, hyps or None,
                                                 [(r.get("dnsmos") or {}).get("dnsmos_ovrl") for r in per_item]))

    recordings = [{"id": r["id"], "text": r["text"], "transcript": None} for r in refs]
    mos_info = None
    if predictor:
        say("quality prediction of the recordings")
        found = [w for w in recorded_wavs if w is not None]
        mos_info = {"engine": predictor.name, "version": predictor.version,
                    "recordings": mean_scores(predictor.score(w, audio.sample_rate) for w in found) if found else None}
    if recognizer:
        say("recognizing the recordings")
        ok = []
        for wav, out in zip(recorded_wavs, recordings):
            if wav is not None:
                out["transcript"] = transcribe(wav)
                ok.append(out)
        if ok:
            norm = {r["id"]: t for r, t in zip(refs, texts)}
            texts = [norm[o["id"]] for o in ok]
            asr_info["recordings"] = {"wer": error_rate(texts, [o["transcript"] for o in ok], "word"),
                                      "cer": error_rate(texts, [o["transcript"] for o in ok], "char"),
                                      "items": len(ok)}
        if len(ok) < len(records):
            notes.append(f"{len(records) - len(ok)} recordings not found (moved corpus?): ASR ceiling on {len(ok)}")

    intervals = None
    if len(item_stats) and len(refs) >= 2:
        say(f"bootstrap: {bootstrap} redraws of the items")
        whole = recorded_emb if recorded_emb and len(recorded_emb) == len(refs) else None  # paired, or not at all
        intervals = paired_bootstrap(item_stats, ItemStatistics(recorded_mels, whole), resamples=bootstrap, seed=seed)
    report = {
        "schema_version": EVAL_SCHEMA_VERSION, "kind": "evaluate",
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "bundle": str(bundle), "data": str(data_dir), "split": split, "items": len(refs),
        "vocoder": synth.vocoder_label, "vocoders": [s_.vocoder_label for s_ in by_vocoder.values()], "seed": seed, "torch": torch.__version__, "threads": torch.get_num_threads(),
        "teacher_reference": teacher_ref, "asr": asr_info, "mos": mos_info, "results": results,
        "recordings": recordings, "bootstrap": intervals,
        "notes": notes,
    }
    if keep_mels:
        report["_mels"] = {"ids": [r["id"] for r in refs[:keep_mels]], "grid": kept,
                           "columns": ["recording"] + [f"{p.steps} steps, {p.schedule}" for p in plans]}
    return report


def same_plan_note(steps: int, schedule: str, denoiser: str | None, plan) -> str:
    """Why a row of the evaluation grid is not repeated: the plan is one an earlier row already scores."""
    if schedule == "searched" and plan.source == "uniform":
        return f"no searched schedule for {steps} steps: the uniform row stands for both"
    return f"{steps} steps with the {denoiser or 'default'} denoiser: the same plan as an earlier row, not repeated"


@dataclass
class _EvalPlan:
    steps: int
    schedule: str
    plan: object

    def distilled(self, synth) -> bool:
        return any(e.distilled for e in synth.config.denoisers if e.name == self.plan.denoiser)

"""Intelligibility of a voice on any text (``tts evaluate --texts FILE --asr``).

No recordings are needed, so it scores sentences outside every corpus: each text is synthesized as a user
would (``Synthesizer.synthesize``, predicted durations, seed ``seed + index``) and transcribed by the offline
recognizer; WER/CER compare the transcript with the normalized text (numbers as words, as spoken).

Report (``schema_version`` 1)::

    {"schema_version": 1, "kind": "intelligibility", "created", "bundle", "vocoder", "seed", "torch",
     "threads", "asr": {"engine", "version"}, "texts": int,
     "results": [{"steps", "schedule", "source", "denoiser", "wer", "cer",
                  "per_item": [{"text", "normalized", "transcript"}]}], "notes": [str]}
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from pathlib import Path

import torch

from .metrics import error_rate

SCHEMA_VERSION = 1


def read_texts(path: str | Path) -> list[str]:
    """One sentence per line; blank lines and lines starting with ``#`` are skipped."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    texts = [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    if not texts:
        raise ValueError(f"no text in {path} (one sentence per line)")
    return texts


def evaluate_texts(bundle: str | Path, texts: Sequence[str], steps: Sequence[int] | None = None,
                   schedules: Sequence[str] = ("uniform", "searched"), vocoder: str | None = None, seed: int = 0,
                   device: str = "cpu", progress: Callable[[str], None] | None = None) -> dict:
    """WER/CER of the recognizer on the voice's renditions of ``texts``, per step count and schedule."""
    from ..api import Synthesizer
    from ..text import normalize_text
    from .asr import PocketSphinxASR
    from .benchmark import default_steps

    say = progress or (lambda msg: None)
    recognizer = PocketSphinxASR()  # raises a one-line error when the optional extra is missing
    synth = Synthesizer.from_pretrained(bundle, device=device, vocoder=vocoder)
    notes: list[str] = []
    plans = []
    for k in sorted(set(steps or default_steps(synth))):
        for schedule in dict.fromkeys(schedules):
            plan = synth.plan(k, schedule)  # validates the step count
            if any(k == pk and plan == p for pk, _, p in plans):
                notes.append(f"no searched schedule for {k} steps: the uniform row stands for both")
                continue
            plans.append((k, schedule, plan))
    normalized = [normalize_text(t) for t in texts]
    results = []
    for k, schedule, plan in plans:
        say(f"{k} steps, {schedule} schedule ({plan.source}), {plan.denoiser} denoiser")
        hyps = []
        for i, text in enumerate(texts):
            wav, sr = synth.synthesize(text, steps=k, seed=seed + i, schedule=schedule)
            hyps.append(normalize_text(recognizer.transcribe(wav, sr)))
        results.append({
            "steps": k, "schedule": schedule, "source": plan.source, "denoiser": plan.denoiser,
            "wer": error_rate(normalized, hyps, "word"), "cer": error_rate(normalized, hyps, "char"),
            "per_item": [{"text": t, "normalized": n, "transcript": h} for t, n, h in zip(texts, normalized, hyps)],
        })
    return {
        "schema_version": SCHEMA_VERSION, "kind": "intelligibility",
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "bundle": str(bundle), "vocoder": synth.vocoder_name, "seed": seed, "torch": torch.__version__,
        "threads": torch.get_num_threads(), "asr": {"engine": recognizer.name, "version": recognizer.version},
        "texts": len(texts), "results": results, "notes": notes,
    }


def format_intelligibility(report: dict) -> str:
    head = (f"{report['texts']} texts, voice {report['bundle']}, vocoder {report['vocoder']}; synthesized as "
            f"`tts synthesize` does (seed {report['seed']} + index), transcribed by {report['asr']['engine']} "
            f"{report['asr']['version']}\n| steps | schedule | denoiser | WER | CER |\n|---|---|---|---|---|")
    rows = [f"| {r['steps']} | {r['schedule']} | {r['denoiser']} | {r['wer']:.3f} | {r['cer']:.3f} |"
            for r in report["results"]]
    return "\n".join([head, *rows, *(f"note: {n}" for n in report["notes"])])

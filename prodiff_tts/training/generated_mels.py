"""Teacher-forced generated mels for vocoder fine-tuning (``tts generate-mels``).

A vocoder trained on recorded mels meets slightly different mels behind the acoustic model; HiFi-GAN and
ProDiff fine-tune it on the acoustic model's own output, generated *teacher-forced* so that every frame
still describes the same stretch of the recording: durations from the voice's aligner (monotonic alignment
on the recording's mel) and the recording's phoneme-averaged pitch and energy, then the voice's denoiser
at the chosen step count and schedule. Each item is written as ``{out}/{id}.npy`` (natural-log mel
``[n_mels, frames]``, float32, the recording's frame count), which ``vocoder.data.mel_dir`` reads; a
``generated_mels.json`` beside them records what made them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

__all__ = ["generate_mels"]


def _save_npy(path: str, array: np.ndarray) -> None:
    with open(path, "wb") as f:  # a file object: np.save would append ".npy" to a path
        np.save(f, array, allow_pickle=False)


def generate_mels(bundle: str | Path, data_dir: str | Path, out_dir: str | Path, steps: int = 4,
                  schedule: str = "searched", splits: Sequence[str] = ("train", "val"), batch_size: int = 8,
                  seed: int = 0, overwrite: bool = False, progress: Callable[[str], None] | None = None) -> dict:
    """Write the teacher-forced mel of every item of ``splits`` of a ``tts prepare`` directory; returns the
    summary also written to ``{out_dir}/generated_mels.json``. Items whose file exists are kept unless
    ``overwrite`` (so an interrupted run continues). The corpus must be the voice's: same phoneme
    vocabulary and feature statistics (pitch and energy are fed in the voice's normalisation)."""
    from ..api import Synthesizer
    from ..fileio import atomic_write
    from ..data.dataset import FeatureDataset, collate
    from ..data.stats import FeatureStats, same_corpus
    from ..diffusion.sampler import ddim_sample
    from ..text.symbols import Vocab

    say = progress or (lambda msg: None)
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    if not (data_dir / "manifest.jsonl").is_file():
        raise FileNotFoundError(f"{data_dir}/manifest.jsonl not found: not a `tts prepare` output directory")
    synth = Synthesizer.from_pretrained(bundle)
    plan = synth.plan(steps, schedule)
    if Vocab.load(data_dir / "vocab.json") != synth.vocab:
        raise ValueError(f"{data_dir} was prepared with another phoneme vocabulary than the voice {bundle}")
    stats = FeatureStats.load(data_dir / "stats.json")
    if not same_corpus(stats, FeatureStats.load(Path(bundle) / "stats.json")):
        raise ValueError(f"the feature statistics of {data_dir} are not the voice's: another corpus?")
    model, denoiser = synth.model.eval(), synth.denoisers[plan.denoiser].eval()
    written = kept = 0
    for split in splits:
        ds = FeatureDataset(data_dir, split, stats)
        if len(ds) == 0:
            raise ValueError(f"no '{split}' items in {data_dir}/manifest.jsonl")
        todo = [i for i in range(len(ds)) if overwrite or not (out_dir / f"{ds.records[i]['id']}.npy").is_file()]
        kept += len(ds) - len(todo)
        say(f"{split}: {len(todo)} of {len(ds)} items to generate")
        for start in range(0, len(todo), batch_size):
            b = collate([ds[i] for i in todo[start : start + batch_size]])
            gen = torch.Generator().manual_seed(seed + todo[start])
            with torch.no_grad():
                # recorded pitch and energy: the vocoder is fine-tuned towards the recorded audio
                cond, mask = model.condition_teacher_forced(b, prosody="recorded")
                noise = torch.randn(b["mel"].shape, generator=gen)
                mel = ddim_sample(denoiser.bind(cond, mask, plan.layer_masks), synth.schedule, plan.timesteps,
                                  noise.shape, noise=noise, mask=mask)
                mel = mel * synth.mel_std + synth.mel_mean
            for j, (ident, frames) in enumerate(zip(b["ids"], b["mel_lengths"].tolist())):
                arr = np.ascontiguousarray(mel[j, :, :frames].float().numpy())
                atomic_write(out_dir / f"{ident}.npy", lambda tmp, a=arr: _save_npy(tmp, a))
                written += 1
    summary = {"bundle": str(bundle), "data": str(data_dir), "steps": int(steps), "schedule": plan.source,
               "denoiser": plan.denoiser, "timesteps": [float(t) for t in plan.timesteps], "splits": list(splits),
               "seed": int(seed), "written": written, "kept": kept}
    atomic_write(out_dir / "generated_mels.json", lambda tmp: Path(tmp).write_text(json.dumps(summary, indent=1)))
    return summary

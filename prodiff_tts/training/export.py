"""Checkpoint -> bundle. Reads Lightning checkpoints with ``weights_only=True`` and writes safetensors."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml

from ..checkpoints import acoustic_from_checkpoint, ema_state, read_checkpoint
from ..bundle import BundleConfig, DenoiserEntry, copy_side_files, load_weights, save_weights

# what a bundle's weight files may be stored as (the model always runs in float32)
WEIGHT_DTYPES = {"float32": torch.float32, "float16": torch.float16}


def split_denoiser(state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    shared = {k: v for k, v in state.items() if not k.startswith("denoiser.")}
    den = {k[len("denoiser."):]: v for k, v in state.items() if k.startswith("denoiser.")}
    return shared, den


def export_bundle(checkpoint: str | Path, out_dir: str | Path, voice: str = "voice",
                  teacher_steps: tuple[int, ...] = (4, 8, 16, 32), distilled: str | Path | None = None,
                  vocoder: str | Path | None = None, weights_dtype: str = "float32") -> BundleConfig:
    """Writes the shared acoustic weights and the teacher denoiser (EMA) into a bundle directory, with the
    students of a ``tts distill`` run (``<distilled>/k<K>/student.safetensors``), the searched schedules
    found beside the teacher run (``schedule.json``) and a trained vocoder directory, when given.

    ``weights_dtype="float16"`` stores every weight file in half precision (half the size; the voice still
    runs in float32)."""
    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    if weights_dtype not in WEIGHT_DTYPES:
        raise ValueError(f"weights_dtype must be one of {', '.join(WEIGHT_DTYPES)}, not {weights_dtype!r}")
    dtype = WEIGHT_DTYPES[weights_dtype]
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"bundle directory {out_dir} exists and is not a directory")
    ckpt = read_checkpoint(checkpoint)
    acoustic_from_checkpoint(ckpt, checkpoint)  # the bundle must load: refuse weights that do not fit the config
    hp = ckpt["hyper_parameters"]
    run_dir = Path(hp.get("run_dir", checkpoint.parent.parent))
    if not (run_dir / "config.yaml").is_file():
        run_dir = checkpoint.parent.parent
    # everything is checked before the first file is written: a failed export leaves no half bundle
    for name in ("config.yaml", "vocab.json", "stats.json"):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir / name} not found: export reads the run directory of the "
                                    "checkpoint (<run>/checkpoints/last.ckpt)")
    run_cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    students: list[Path] = []
    if distilled is not None:
        students = sorted(Path(distilled).glob("k[0-9]*/student.safetensors"), key=lambda p: -int(p.parent.name[1:]))
        if not students:
            raise ValueError(f"no distilled students (k*/student.safetensors) in {distilled}")
    trained_vocoder = None
    if vocoder is not None:
        from ..vocoders import load_vocoder

        trained_vocoder = load_vocoder(vocoder)
    out_dir.mkdir(parents=True, exist_ok=True)
    shared, den = split_denoiser(ema_state(ckpt))
    save_weights(out_dir / "acoustic.safetensors", shared, dtype)
    save_weights(out_dir / "denoiser_teacher.safetensors", den, dtype)
    copy_side_files(run_dir, out_dir)
    denoisers = [DenoiserEntry("teacher", "denoiser_teacher.safetensors", list(teacher_steps))]
    for path in students:
        k = int(path.parent.name[1:])
        name = f"student_k{k}"
        save_weights(out_dir / f"denoiser_{name}.safetensors", load_weights(path), dtype)
        denoisers.append(DenoiserEntry(name, f"denoiser_{name}.safetensors", [k], distilled=True))
    if (run_dir / "schedule.json").is_file():
        copy_side_files(run_dir, out_dir, ("schedule.json",))
    vocoder_dir = None
    if trained_vocoder is not None:
        from ..vocoders import save_vocoder

        save_vocoder(trained_vocoder.to(dtype), out_dir / "vocoder")
        vocoder_dir = "vocoder"
    cfg = BundleConfig(
        audio=run_cfg["audio"],
        model=hp["model"],
        n_symbols=int(hp["n_symbols"]),
        diffusion={k: hp["diffusion"][k] for k in ("schedule", "schedule_kwargs")},
        denoisers=denoisers,
        vocoder=vocoder_dir,
        voice=voice,
        extra={"teacher_checkpoint_step": int(ckpt.get("global_step", 0)), "weights_dtype": weights_dtype},
    )
    cfg.save(out_dir / "config.yaml")
    return cfg


def add_bundle_vocoder(bundle_dir: str | Path, source: str | Path | list[str | Path], default: str,
                       mel_match_iters: int | None = None) -> BundleConfig:
    """Ships a trained vocoder inside an existing voice bundle (``<bundle>/vocoder``, stored in the bundle's
    ``weights_dtype``) and records which vocoder the voice speaks through by default: ``"bundle"`` (this one)
    or ``"griffin-lim"`` (the model card's choice until a neural vocoder wins by the listener measures).
    ``source``: a saved vocoder (directory or ``.safetensors``) or vocoder training checkpoints (``.ckpt``,
    the moving average when the run kept one; several: the mean of their generators). ``mel_match_iters``: the
    iSTFT vocoder's rounds of mel matching (None keeps the source's). A vocoder already there is replaced only
    once the new one is written in full."""
    import shutil
    import tempfile

    from ..bundle import read_bundle_config
    from ..audio import AudioConfig
    from ..vocoders import load_vocoder, save_vocoder
    from .vocoder_export import export_vocoder, set_mel_matching

    if default not in ("bundle", "griffin-lim"):
        raise ValueError(f"default must be 'bundle' or 'griffin-lim', not {default!r}")
    sources = [Path(source)] if isinstance(source, (str, Path)) else [Path(s) for s in source]
    bundle_dir = Path(bundle_dir)
    cfg = read_bundle_config(bundle_dir)
    for src in sources:
        if not src.exists():
            raise FileNotFoundError(f"vocoder not found: {src}")
    if len(sources) > 1 and any(src.suffix != ".ckpt" for src in sources):
        raise ValueError("several sources must all be vocoder training checkpoints (.ckpt): they are averaged")
    dtype = WEIGHT_DTYPES[cfg.extra.get("weights_dtype", "float32")]
    with tempfile.TemporaryDirectory(dir=bundle_dir, prefix=".vocoder-") as tmp:
        source = export_vocoder(sources, Path(tmp) / "exported") if sources[0].suffix == ".ckpt" else sources[0]
        vocoder = load_vocoder(source)
        if mel_match_iters is not None:
            set_mel_matching(vocoder, mel_match_iters)
        if vocoder.audio_config != AudioConfig.from_dict(cfg.audio):
            raise ValueError(f"{source} was trained for another audio config than the voice {bundle_dir} "
                             f"({vocoder.audio_config} vs {cfg.audio})")
        staged = save_vocoder(vocoder.to(dtype), Path(tmp) / "vocoder")
        target, old = bundle_dir / "vocoder", Path(tmp) / "old"
        if target.exists():
            target.rename(old)
        staged.rename(target)
        cfg.vocoder = "vocoder"
        cfg.extra = {**cfg.extra, "default_vocoder": default}
        try:
            cfg.save(bundle_dir / "config.yaml")
        except BaseException:  # the config names no other vocoder than before: put the old one back
            shutil.rmtree(target)
            if old.exists():
                old.rename(target)
            raise
    return cfg

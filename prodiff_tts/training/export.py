"""Checkpoint -> bundle. Reads Lightning checkpoints with ``weights_only=True`` and writes safetensors."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml

from ..bundle import BundleConfig, DenoiserEntry, copy_side_files, save_weights


def read_checkpoint(path: str | Path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # a pickle that needs more than tensors and plain containers is refused
        raise ValueError(f"cannot read checkpoint {path} safely: {str(e).splitlines()[0][:200]}") from None


def ema_state(ckpt: dict, prefix: str = "ema.module.") -> dict[str, torch.Tensor]:
    state = {k[len(prefix):]: v for k, v in ckpt["state_dict"].items() if k.startswith(prefix)}
    if not state:
        raise ValueError("checkpoint has no EMA weights")
    return state


def split_denoiser(state: dict[str, torch.Tensor]) -> tuple[dict, dict]:
    shared = {k: v for k, v in state.items() if not k.startswith("denoiser.")}
    den = {k[len("denoiser."):]: v for k, v in state.items() if k.startswith("denoiser.")}
    return shared, den


def export_teacher(checkpoint: str | Path, out_dir: str | Path, voice: str = "voice",
                   teacher_steps: tuple[int, ...] = (4, 8, 16, 32)) -> BundleConfig:
    """Writes the shared acoustic weights and the teacher denoiser (EMA) into a fresh bundle directory."""
    checkpoint, out_dir = Path(checkpoint), Path(out_dir)
    ckpt = read_checkpoint(checkpoint)
    hp = ckpt.get("hyper_parameters") or {}
    if "model" not in hp:
        raise ValueError(f"{checkpoint} is not a teacher checkpoint of prodiff-tts")
    run_dir = Path(hp.get("run_dir", checkpoint.parent.parent))
    if not (run_dir / "config.yaml").is_file():
        run_dir = checkpoint.parent.parent
    run_cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    shared, den = split_denoiser(ema_state(ckpt))
    save_weights(out_dir / "acoustic.safetensors", shared)
    save_weights(out_dir / "denoiser_teacher.safetensors", den)
    copy_side_files(run_dir, out_dir)
    cfg = BundleConfig(
        audio=run_cfg["audio"],
        model=hp["model"],
        n_symbols=int(hp["n_symbols"]),
        diffusion={k: hp["diffusion"][k] for k in ("schedule", "schedule_kwargs")},
        denoisers=[DenoiserEntry("teacher", "denoiser_teacher.safetensors", list(teacher_steps))],
        voice=voice,
        extra={"teacher_checkpoint_step": int(ckpt.get("global_step", 0))},
    )
    cfg.save(out_dir / "config.yaml")
    return cfg

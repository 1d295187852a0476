"""Reading the teacher's Lightning checkpoints without Lightning: ``torch.load(weights_only=True)`` and the
model config stored beside the weights. Inference-side code (evaluation, search, export) reads teachers
through this module, so none of it imports the training package."""

from __future__ import annotations

from pathlib import Path

import torch

from .models.acoustic import AcousticModel
from .models.config import AcousticConfig

__all__ = ["read_checkpoint", "ema_state", "acoustic_from_checkpoint", "load_teacher_checkpoint"]


def read_checkpoint(path: str | Path) -> dict:
    """The checkpoint's dict, refusing pickles that need more than tensors and plain containers."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise ValueError(f"cannot read checkpoint {path} safely: {str(e).splitlines()[0][:200]}") from None


def ema_state(ckpt: dict, prefix: str = "ema.module.") -> dict[str, torch.Tensor]:
    """The EMA copy of the weights (what is exported and distilled), without its prefix."""
    state = {k[len(prefix):]: v for k, v in (ckpt.get("state_dict") or {}).items() if k.startswith(prefix)}
    if not state:
        raise ValueError("checkpoint has no EMA weights")
    return state


def acoustic_from_checkpoint(ckpt: dict, path: str | Path) -> AcousticModel:
    """The teacher's ``AcousticModel`` built from the config stored in the checkpoint, with its EMA weights.

    A ``ValueError`` (one line) when the checkpoint is not a teacher's, when its config does not build with
    this version of the code, or when its weights do not fit that config (e.g. an edited config)."""
    hp = ckpt.get("hyper_parameters") or {}
    if not isinstance(hp, dict) or "model" not in hp or "diffusion" not in hp:
        raise ValueError(f"{path} is not a teacher checkpoint of prodiff-tts")
    try:
        model = AcousticModel(AcousticConfig.from_dict(hp["model"]), int(hp["n_symbols"]))
    except (TypeError, ValueError, KeyError, AttributeError) as e:
        raise ValueError(f"model config in {path} does not fit this version of prodiff-tts: "
                         f"{str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    try:
        model.load_state_dict(ema_state(ckpt), strict=True)
    except RuntimeError as e:
        first = next((ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()), str(e))
        raise ValueError(f"weights in {path} do not match the model config stored with them: {first[:200]}") from None
    return model


def load_teacher_checkpoint(path: str | Path) -> tuple[AcousticModel, dict]:
    """The teacher's acoustic model (EMA weights, eval mode, frozen) and its hyper-parameters."""
    ckpt = read_checkpoint(path)
    model = acoustic_from_checkpoint(ckpt, path)
    return model.eval().requires_grad_(False), ckpt["hyper_parameters"]

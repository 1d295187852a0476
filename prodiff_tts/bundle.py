"""Released voice bundles: safetensors weights + YAML/JSON side files, never a pickle.

Layout of a bundle directory::

    config.yaml            format version, audio, acoustic model config, diffusion schedule, denoisers, vocoder
    acoustic.safetensors   encoder, variance adaptor (shared by every denoiser)
    denoiser_<name>.safetensors   the teacher's and each distilled student's denoiser
    vocab.json  stats.json  schedule.json (searched schedules, optional)  vocoder/ (optional)
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import torch
import yaml
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .audio import AudioConfig

from .fileio import atomic_write

FORMAT_VERSION = 1


class BundleError(ValueError):
    """A bundle that is missing, incomplete, corrupted or from an incompatible version."""


@dataclass
class DenoiserEntry:
    """One denoiser of the bundle: the teacher (any step count) or a student distilled for ``steps``."""

    name: str
    file: str
    steps: list[int]  # step counts this denoiser serves
    distilled: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "file": self.file, "steps": list(self.steps), "distilled": self.distilled}


@dataclass
class BundleConfig:
    audio: dict
    model: dict
    n_symbols: int
    diffusion: dict
    denoisers: list[DenoiserEntry]
    vocoder: str | None = None  # sub-directory with a trained vocoder, if any
    voice: str = "voice"
    format_version: int = FORMAT_VERSION
    extra: dict = field(default_factory=dict)

    @property
    def default_vocoder(self) -> str:
        """What the voice speaks through unless told otherwise: its model card's choice (``default_vocoder``
        in ``extra``), else its own vocoder when it has one ("bundle"), else "griffin-lim"."""
        return self.extra.get("default_vocoder") or ("bundle" if self.vocoder else "griffin-lim")

    def to_dict(self) -> dict:
        return {
            "format_version": self.format_version,
            "voice": self.voice,
            "audio": self.audio,
            "model": self.model,
            "n_symbols": self.n_symbols,
            "diffusion": self.diffusion,
            "denoisers": [d.to_dict() for d in self.denoisers],
            "vocoder": self.vocoder,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, d: dict) -> "BundleConfig":
        return cls(
            audio=d["audio"],
            model=d["model"],
            n_symbols=int(d["n_symbols"]),
            diffusion=d["diffusion"],
            denoisers=[DenoiserEntry(**e) for e in d["denoisers"]],
            vocoder=d.get("vocoder"),
            voice=d.get("voice", "voice"),
            format_version=int(d["format_version"]),
            extra=d.get("extra", {}),
        )

    def save(self, path: Path) -> None:
        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        atomic_write(path, lambda tmp: Path(tmp).write_text(text))


def read_bundle_config(bundle_dir: str | Path) -> BundleConfig:
    bundle_dir = Path(bundle_dir)
    if not bundle_dir.is_dir():
        raise BundleError(f"model bundle not found: {bundle_dir}")
    path = bundle_dir / "config.yaml"
    if not path.is_file():
        raise BundleError(f"{bundle_dir} is not a model bundle: config.yaml missing")
    try:
        d = yaml.safe_load(path.read_text())
        version = int(d.get("format_version", -1))
    except (yaml.YAMLError, AttributeError, TypeError, ValueError) as e:
        raise BundleError(f"corrupt bundle config {path}: {str(e).splitlines()[0]}") from None
    if version != FORMAT_VERSION:
        raise BundleError(f"bundle {bundle_dir} has format version {version}; this prodiff-tts reads version "
                          f"{FORMAT_VERSION} (re-export it with a matching version)")
    try:
        return BundleConfig.from_dict(d)
    except (KeyError, TypeError, ValueError) as e:
        raise BundleError(f"incomplete bundle config {path}: {e}") from None


def save_weights(path: Path, state: dict[str, torch.Tensor], dtype: torch.dtype | None = None) -> None:
    """Atomic safetensors write; ``dtype`` (e.g. float16, to halve a shipped voice) casts the floating-point
    tensors. Loading casts back: ``load_state_dict`` copies into the module's own (float32) parameters."""
    tensors = {k: (v.to(dtype) if dtype is not None and v.is_floating_point() else v).detach().cpu().contiguous()
               for k, v in state.items()}
    atomic_write(path, lambda tmp: save_file(tensors, tmp))


def load_weights(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise BundleError(f"missing weights file: {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as e:
        raise BundleError(f"corrupted weights file {path}: {str(e).splitlines()[0]}") from None


def load_state(module: torch.nn.Module, state: dict[str, torch.Tensor], what: str) -> None:
    """Strict load with a one-line error when the weights do not fit the configured architecture."""
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as e:
        first = next((ln.strip() for ln in str(e).splitlines()[1:] if ln.strip()), str(e))
        raise BundleError(f"{what} does not match its config (incompatible bundle?): {first[:200]}") from None


def acoustic_state(bundle_dir: str | Path, denoiser: str = "teacher") -> tuple[BundleConfig, dict[str, torch.Tensor]]:
    """A bundle's config and the full ``AcousticModel`` state with the named denoiser (float32): what a new
    voice is fine-tuned from (``teacher.init_from``)."""
    cfg = read_bundle_config(bundle_dir)
    entry = next((d for d in cfg.denoisers if d.name == denoiser), None)
    if entry is None:
        raise BundleError(f"{bundle_dir} has no denoiser {denoiser!r} (it has {[d.name for d in cfg.denoisers]})")
    shared = load_weights(Path(bundle_dir) / "acoustic.safetensors")
    den = load_weights(Path(bundle_dir) / entry.file)
    state = {**shared, **{f"denoiser.{k}": v for k, v in den.items()}}
    return cfg, {k: (v.float() if v.is_floating_point() else v) for k, v in state.items()}


def copy_side_files(src_dir: Path, out_dir: Path, names: tuple[str, ...] = ("vocab.json", "stats.json")) -> None:
    for name in names:
        if not (src_dir / name).is_file():
            raise BundleError(f"{src_dir / name} not found")
        atomic_write(out_dir / name, lambda tmp, n=name: shutil.copyfile(src_dir / n, tmp))


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise BundleError(f"missing bundle file: {path}")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise BundleError(f"corrupt bundle file {path}: {e}") from None


def audio_config(cfg: BundleConfig) -> AudioConfig:
    return AudioConfig.from_dict(cfg.audio)

"""The manifest of an exported ONNX voice: which graphs exist, how each step count is served, the audio config
and the side files. Plain JSON written atomically, read without torch.

Layout of an export directory (``tts export-onnx``)::

    manifest.json               this file: format, opset, source bundle, audio config, graphs, plans
    frontend.onnx               encoder + variance adaptor: phonemes -> (h [B, N, C], log_duration [B, N])
    condition.<denoiser>.onnx   a denoiser's per-layer condition projection: cond -> proj [B, L, 2C, T]
    k<K>.step<i>.onnx           step i of the K-step plan (timestep and layer mask baked in)
    k<K>.step<i>.int8.onnx      the same step quantized to int8, calibrated on that step's own inputs
    vocoder.onnx                the voice's trained vocoder (iSTFT: up to log-magnitude and phase), if any
    audio.npz                   STFT window, mel filterbank and its pseudo-inverse (numpy DSP)
    vocab.json  stats.json      copied from the bundle
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..fileio import atomic_write_text

FORMAT = "prodiff-tts-onnx"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
PRECISIONS = ("fp32", "int8")

__all__ = ["FORMAT", "FORMAT_VERSION", "MANIFEST_NAME", "PRECISIONS", "OnnxExportError", "OnnxManifest",
           "OnnxPlan", "read_manifest", "write_manifest"]


class OnnxExportError(ValueError):
    """An export directory that is missing, incomplete, corrupted or of another format version."""


@dataclass(frozen=True)
class OnnxPlan:
    """How one step count is served: its denoiser, timesteps, layer masks, the DDIM coefficients
    ``(alpha, sigma)`` of every timestep, computed by the torch schedule in float32 (as the sampler does),
    and the step graphs per precision."""

    steps: int
    denoiser: str
    source: str  # "searched" or "uniform", as Synthesizer.plan says
    timesteps: tuple[float, ...]
    layer_masks: tuple[tuple[bool, ...], ...] | None
    coefficients: tuple[tuple[float, float], ...]
    graphs: dict[str, list[str]]  # precision -> one file per step

    def to_dict(self) -> dict:
        return {"steps": self.steps, "denoiser": self.denoiser, "source": self.source,
                "timesteps": list(self.timesteps),
                "layer_masks": None if self.layer_masks is None else [list(m) for m in self.layer_masks],
                "coefficients": [list(c) for c in self.coefficients], "graphs": dict(self.graphs)}

    @classmethod
    def from_dict(cls, d: dict) -> "OnnxPlan":
        masks = d.get("layer_masks")
        return cls(int(d["steps"]), str(d["denoiser"]), str(d.get("source", "")),
                   tuple(float(t) for t in d["timesteps"]),
                   None if masks is None else tuple(tuple(bool(b) for b in m) for m in masks),
                   tuple((float(a), float(s)) for a, s in d["coefficients"]),
                   {str(k): [str(f) for f in v] for k, v in d["graphs"].items()})


@dataclass(frozen=True)
class OnnxManifest:
    voice: str
    source: dict  # the bundle exported: path, format version, denoisers
    opset: int
    audio: dict  # the bundle's audio config (AudioConfig.to_dict())
    n_mels: int
    max_phoneme_frames: int  # the duration cap of models.variance
    frontend: str
    conditions: dict[str, str]  # denoiser -> condition projection graph
    plans: dict[int, OnnxPlan]
    vocoders: dict[str, dict]  # "bundle": {"kind": "istft"|"waveform", "graph": ...}; "griffin-lim": settings
    default_vocoder: str
    files: dict[str, str] = field(default_factory=dict)  # vocab, stats, audio arrays
    int8: dict | None = None  # quantization settings and calibration, when int8 graphs exist
    format: str = FORMAT
    format_version: int = FORMAT_VERSION

    def to_dict(self) -> dict:
        return {"format": self.format, "format_version": self.format_version, "voice": self.voice,
                "source": self.source, "opset": self.opset, "audio": self.audio, "n_mels": self.n_mels,
                "max_phoneme_frames": self.max_phoneme_frames, "frontend": self.frontend,
                "conditions": dict(self.conditions),
                "plans": {str(k): p.to_dict() for k, p in sorted(self.plans.items())},
                "vocoders": self.vocoders, "default_vocoder": self.default_vocoder, "files": dict(self.files),
                "int8": self.int8}

    @classmethod
    def from_dict(cls, d: dict) -> "OnnxManifest":
        return cls(voice=str(d["voice"]), source=dict(d["source"]), opset=int(d["opset"]), audio=dict(d["audio"]),
                   n_mels=int(d["n_mels"]), max_phoneme_frames=int(d["max_phoneme_frames"]),
                   frontend=str(d["frontend"]), conditions={str(k): str(v) for k, v in d["conditions"].items()},
                   plans={int(k): OnnxPlan.from_dict(p) for k, p in d["plans"].items()},
                   vocoders={str(k): dict(v) for k, v in d["vocoders"].items()},
                   default_vocoder=str(d["default_vocoder"]), files={str(k): str(v) for k, v in d["files"].items()},
                   int8=d.get("int8"), format=str(d["format"]), format_version=int(d["format_version"]))

    def precisions(self, steps: int) -> list[str]:
        """The precisions with a complete set of step graphs for ``steps``."""
        plan = self.plans[steps]
        return [p for p in PRECISIONS if len(plan.graphs.get(p) or []) == plan.steps]

    def graph_files(self) -> list[str]:
        """Every file the manifest refers to (relative to the export directory)."""
        out = [self.frontend, *self.conditions.values(), *self.files.values()]
        out += [f for p in self.plans.values() for files in p.graphs.values() for f in files]
        out += [v["graph"] for v in self.vocoders.values() if "graph" in v]
        return out


def write_manifest(directory: str | Path, manifest: OnnxManifest) -> Path:
    path = Path(directory) / MANIFEST_NAME
    atomic_write_text(path, json.dumps(manifest.to_dict(), indent=1) + "\n")
    return path


def read_manifest(directory: str | Path) -> OnnxManifest:
    """The manifest of an export directory, checked: its format and version, and every file it names."""
    directory = Path(directory)
    path = directory / MANIFEST_NAME
    if not directory.is_dir():
        raise OnnxExportError(f"ONNX voice not found: {directory}")
    if not path.is_file():
        raise OnnxExportError(f"{directory} is not an ONNX voice: {MANIFEST_NAME} missing (tts export-onnx)")
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise OnnxExportError(f"{path} is not a {FORMAT} manifest")
        if int(d.get("format_version", -1)) != FORMAT_VERSION:
            raise OnnxExportError(f"{path} has format version {d.get('format_version')}; this prodiff-tts reads "
                                  f"version {FORMAT_VERSION} (export the voice again)")
        manifest = OnnxManifest.from_dict(d)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise OnnxExportError(f"corrupt manifest {path}: {e}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        if isinstance(e, OnnxExportError):
            raise
        raise OnnxExportError(f"incomplete manifest {path}: {type(e).__name__} {e}") from None
    missing = [f for f in manifest.graph_files() if not (directory / f).is_file()]
    if missing:
        raise OnnxExportError(f"{directory} is incomplete: {', '.join(missing[:3])} missing")
    return manifest

"""Where installed voices live, and how a name finds one.

A voice is a bundle directory (``config.yaml``, safetensors weights, ``schedule.json``, a model card). Voices are
looked up, first match wins, in:

1. ``$PRODIFF_TTS_VOICES`` (directories separated by ``os.pathsep``), for voices a user keeps elsewhere;
2. the source tree's ``pretrained/`` (a git checkout or an editable install);
3. ``<data prefix>/share/prodiff-tts/voices`` for the interpreter's install schemes (a wheel puts the released
   voices there: ``pyproject.toml``'s data-files), so ``pip install prodiff-tts`` speaks without the sources.

``$PRODIFF_TTS_MODEL`` (a bundle path) overrides the default voice.
"""

from __future__ import annotations

import os
import sysconfig
from dataclasses import dataclass
from pathlib import Path

DEFAULT_VOICE = "slt_demo"
SHARE_SUBDIR = Path("share") / "prodiff-tts" / "voices"


def voice_dirs() -> list[Path]:
    """The directories searched for voices, in order (existing ones only)."""
    dirs = [Path(p) for p in os.environ.get("PRODIFF_TTS_VOICES", "").split(os.pathsep) if p]
    dirs.append(Path(__file__).resolve().parent.parent / "pretrained")
    for scheme in dict.fromkeys([sysconfig.get_default_scheme(), *sysconfig.get_scheme_names()]):
        try:
            data = sysconfig.get_path("data", scheme)
        except KeyError:
            continue
        if data:
            dirs.append(Path(data) / SHARE_SUBDIR)
    out: list[Path] = []
    for d in dirs:
        if d.is_dir() and d.resolve() not in [o.resolve() for o in out]:
            out.append(d)
    return out


@dataclass(frozen=True)
class VoiceInfo:
    name: str
    path: Path
    steps: tuple[int, ...]
    vocoder: str | None
    searched_steps: tuple[int, ...]
    default_vocoder: str = "griffin-lim"  # "bundle" (its own) or "griffin-lim"


def _is_voice(path: Path) -> bool:
    return (path / "config.yaml").is_file()


def list_voices() -> list[VoiceInfo]:
    """Every installed voice (the first of each name in search order), with what it serves."""
    from .bundle import BundleError, read_bundle_config

    seen: dict[str, VoiceInfo] = {}
    for d in voice_dirs():
        for path in sorted(p for p in d.iterdir() if p.is_dir() and _is_voice(p)):
            if path.name in seen:
                continue
            try:
                cfg = read_bundle_config(path)
            except (OSError, BundleError):
                continue
            steps = sorted({k for e in cfg.denoisers for k in e.steps})
            searched = ()
            sched = path / "schedule.json"
            if sched.is_file():
                import json

                try:
                    keys = json.loads(sched.read_text()).get("schedules", {})  # "denoiser:steps"
                    searched = tuple(sorted({int(k.rsplit(":", 1)[1]) for k in keys}))
                except (ValueError, AttributeError, IndexError):
                    searched = ()
            seen[path.name] = VoiceInfo(path.name, path, tuple(steps), cfg.vocoder, searched, cfg.default_vocoder)
    return list(seen.values())


def find_voice(name: str) -> Path:
    """The bundle directory of an installed voice; ValueError naming the installed ones if there is none."""
    for d in voice_dirs():
        if _is_voice(d / name):
            return d / name
    names = sorted({v.name for v in list_voices()})
    raise ValueError(f"no voice named {name!r} (installed: {', '.join(names) or 'none'}; `tts voices` lists them)")


def default_model_path() -> Path:
    """``$PRODIFF_TTS_MODEL``, else the default voice wherever it is installed."""
    env = os.environ.get("PRODIFF_TTS_MODEL")
    if env:
        return Path(env)
    try:
        return find_voice(DEFAULT_VOICE)
    except ValueError:
        return Path(__file__).resolve().parent.parent / "pretrained" / DEFAULT_VOICE  # the error names this path

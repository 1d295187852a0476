"""Installed voices: lookup by name, `tts voices`, and a wheel that speaks without the source tree."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import soundfile as sf

from prodiff_tts.cli import main
from prodiff_tts.voices import DEFAULT_VOICE, default_model_path, find_voice, list_voices

REPO = Path(__file__).resolve().parents[1]


def test_default_voice_is_found_and_listed(monkeypatch, capsys):
    monkeypatch.delenv("PRODIFF_TTS_MODEL", raising=False)
    assert default_model_path() == find_voice(DEFAULT_VOICE)
    (v,) = [v for v in list_voices() if v.name == DEFAULT_VOICE]
    assert 2 in v.steps and 2 in v.searched_steps
    assert main(["voices"]) == 0
    assert f"| {DEFAULT_VOICE} (default) |" in capsys.readouterr().out


def test_voices_path_and_unknown_name(tiny_bundle, tmp_path, monkeypatch, capsys):
    shutil.copytree(tiny_bundle, tmp_path / "tiny_voice")
    monkeypatch.setenv("PRODIFF_TTS_VOICES", str(tmp_path))
    assert find_voice("tiny_voice") == tmp_path / "tiny_voice"
    out = tmp_path / "x.wav"
    assert main(["synthesize", "hello", "--voice", "tiny_voice", "--steps", "4", "-o", str(out)]) == 0
    assert sf.info(str(out)).frames > 0
    assert main(["synthesize", "hello", "--voice", "nope", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "no voice named 'nope'" in err and "tiny_voice" in err and len(err.strip().splitlines()) == 1
    assert main(["synthesize", "hello", "--voice", "tiny_voice", "--model", str(tiny_bundle)]) == 2


@pytest.mark.slow
def test_a_built_wheel_speaks_with_its_default_voice(tmp_path):
    """Build the wheel, install it (no deps) into a fresh venv that borrows this one's dependencies, and
    synthesize from a directory outside the source tree."""
    src = tmp_path / "src"  # a copy, so the build leaves nothing in the source tree
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "prodiff_tts", src / "prodiff_tts", ignore=skip)
    shutil.copytree(REPO / "pretrained", src / "pretrained", ignore=skip)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", str(src), "--no-deps", "--no-build-isolation",
                    "-w", str(wheels)], check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    py = venv / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # this venv's packages on the path, but not its .pth files (so not the editable prodiff_tts)
    (Path(site) / "_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    (wheel,) = wheels.glob("prodiff_tts-*.whl")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(py), "install", "-q", "--no-deps", "--no-index",
                    str(wheel)], check=True, capture_output=True)
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    where = subprocess.run([str(py), "-c", "import prodiff_tts; print(prodiff_tts.__file__)"], cwd=work, env=env,
                           check=True, capture_output=True, text=True).stdout
    assert where.startswith(str(venv))
    r = subprocess.run([str(venv / "bin" / "tts"), "synthesize", "hello", "--steps", "2", "-o", "hello.wav"],
                       cwd=work, env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert sf.info(str(work / "hello.wav")).duration > 0.2
    listed = subprocess.run([str(venv / "bin" / "tts"), "voices"], cwd=work, env=env, capture_output=True, text=True)
    assert str(venv / "share" / "prodiff-tts" / "voices" / DEFAULT_VOICE) in listed.stdout
    for voice in (p for p in (REPO / "pretrained").iterdir() if p.is_dir()):  # every file of every voice
        installed = venv / "share" / "prodiff-tts" / "voices" / voice.name
        want = {f.relative_to(voice) for f in voice.rglob("*") if f.is_file()}
        assert {f.relative_to(installed) for f in installed.rglob("*") if f.is_file()} == want, voice.name


@pytest.mark.slow
@pytest.mark.parametrize("voice", sorted(p.name for p in (REPO / "pretrained").iterdir() if p.is_dir()))
def test_every_released_voice_is_listed_and_speaks_at_two_steps(voice, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("PRODIFF_TTS_MODEL", raising=False)
    assert main(["voices"]) == 0
    assert f"| {voice}" in capsys.readouterr().out
    out = tmp_path / "hello.wav"
    assert main(["synthesize", "Hello there.", "--voice", voice, "--steps", "2", "-o", str(out)]) == 0
    wav, sr = sf.read(out)
    assert sr == 22050 and len(wav) > 0.3 * sr and abs(wav).max() > 0.01


@pytest.mark.parametrize("default", ["bundle", "griffin-lim"])
def test_voices_name_the_vocoder_a_voice_speaks_through_first(tiny_bundle, tmp_path, monkeypatch, capsys, default):
    import yaml

    from prodiff_tts.training.export import add_bundle_vocoder
    from prodiff_tts.training.vocoder_module import VocoderLightningModule
    from prodiff_tts.vocoders import save_vocoder

    voice = tmp_path / "voices" / "tiny_voice"
    shutil.copytree(tiny_bundle, voice)
    monkeypatch.setenv("PRODIFF_TTS_VOICES", str(voice.parent))
    assert main(["voices"]) == 0
    assert "| tiny_voice | 4 8 16 32 | - | griffin-lim |" in capsys.readouterr().out  # no vocoder of its own
    audio = yaml.safe_load((voice / "config.yaml").read_text())["audio"]
    gen = {"name": "istft", "kwargs": {"dim": 8, "intermediate_dim": 16, "num_layers": 1}}
    save_vocoder(VocoderLightningModule(gen, audio, []).generator, tmp_path / "voc")
    add_bundle_vocoder(voice, tmp_path / "voc", default)
    assert main(["voices"]) == 0
    want = "own (vocoder/), or griffin-lim" if default == "bundle" else "griffin-lim, or own (vocoder/)"
    assert f"| {want} |" in capsys.readouterr().out

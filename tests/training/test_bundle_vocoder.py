"""`tts export-vocoder`: a vocoder checkpoint -> a vocoder directory, or shipped inside a voice bundle."""

from __future__ import annotations

import shutil

import lightning as L
import pytest
import torch
import yaml
from safetensors.torch import load_file

from prodiff_tts.api import Synthesizer
from prodiff_tts.audio import AudioConfig
from prodiff_tts.cli.main import main
from prodiff_tts.training.export import add_bundle_vocoder
from prodiff_tts.training.vocoder_module import VocoderLightningModule
from prodiff_tts.vocoders import load_vocoder, save_vocoder

TINY_GEN = {"name": "istft", "kwargs": {"dim": 16, "intermediate_dim": 32, "num_layers": 1}}


@pytest.fixture
def bundle(tiny_bundle, tmp_path):
    out = tmp_path / "voice"
    shutil.copytree(tiny_bundle, out)
    return out


def save_module_checkpoint(module: VocoderLightningModule, path):
    trainer = L.Trainer(accelerator="cpu", logger=False, enable_progress_bar=False, enable_model_summary=False)
    trainer.strategy.connect(module)
    trainer.save_checkpoint(path, weights_only=False)
    return path


@pytest.fixture
def vocoder_ckpt(tiny_bundle, tmp_path):
    """A vocoder training checkpoint for the bundle's audio config, with a moving average that differs from
    the trained weights."""
    audio = yaml.safe_load((tiny_bundle / "config.yaml").read_text())["audio"]
    torch.manual_seed(0)
    module = VocoderLightningModule(TINY_GEN, audio, [], ema_decay=0.9)
    with torch.no_grad():
        for p in module.generator_ema.module.parameters():
            p.add_(0.01)
    return save_module_checkpoint(module, tmp_path / "voc.ckpt"), module


def _mel(n_mels: int) -> torch.Tensor:
    return torch.randn(1, n_mels, 6) - 5


def test_a_checkpoint_exports_its_moving_average(vocoder_ckpt, tmp_path, capsys):
    path, module = vocoder_ckpt
    assert main(["export-vocoder", str(path), str(tmp_path / "voc")]) == 0
    assert main(["export-vocoder", str(path), str(tmp_path / "matched"), "--mel-match", "3"]) == 0
    assert load_vocoder(tmp_path / "matched").mel_match_iters == 3
    voc = load_vocoder(tmp_path / "voc")
    mel = _mel(voc.audio_config.n_mels)
    assert torch.allclose(voc(mel), module.generator_ema.module.eval()(mel), atol=1e-6)
    assert "exported" in capsys.readouterr().out


def test_shipped_in_a_bundle_in_its_precision_with_the_named_default(bundle, vocoder_ckpt, tmp_path):
    path, module = vocoder_ckpt
    cfg = yaml.safe_load((bundle / "config.yaml").read_text())
    cfg["extra"]["weights_dtype"] = "float16"
    (bundle / "config.yaml").write_text(yaml.safe_dump(cfg))
    assert Synthesizer.from_pretrained(bundle).vocoder_label == "griffin-lim"
    assert main(["export-vocoder", str(path), str(bundle), "--default", "griffin-lim"]) == 0
    synth = Synthesizer.from_pretrained(bundle)
    assert synth.vocoder_label == "griffin-lim"  # the voice still speaks as before...
    own = Synthesizer.from_pretrained(bundle, vocoder="bundle")  # ...and its own vocoder is one option away
    mel = _mel(own.vocoder.audio_config.n_mels)
    want = module.generator_ema.module.eval().half().float()(mel)
    assert torch.allclose(own.vocoder(mel), want, atol=1e-4)
    stored = load_file(bundle / "vocoder" / "model.safetensors")
    assert {v.dtype for v in stored.values() if v.is_floating_point()} == {torch.float16}
    add_bundle_vocoder(bundle, bundle / "vocoder", "bundle")  # replaced by itself, default switched
    assert Synthesizer.from_pretrained(bundle).vocoder_label.startswith("bundle")
    assert load_vocoder(bundle / "vocoder").mel_match_iters == 0
    assert main(["export-vocoder", str(bundle / "vocoder"), str(bundle), "--default", "bundle", "--mel-match", "2"]) == 0
    synth = Synthesizer.from_pretrained(bundle)  # the voice now speaks mel-matched, and says so
    assert synth.vocoder.mel_match_iters == 2 and synth.vocoder_label == "bundle (istft, mel matching 2)"
    assert not [p for p in bundle.iterdir() if p.name.startswith(".vocoder-")]  # no staging left behind


def test_refusals_are_one_line(bundle, vocoder_ckpt, tmp_path, capsys):
    path, _ = vocoder_ckpt
    other = tmp_path / "other"
    save_vocoder(VocoderLightningModule(TINY_GEN, AudioConfig(n_mels=40).to_dict(), []).generator, other)
    before = (bundle / "config.yaml").read_text()
    cases = [
        (["export-vocoder", str(path), str(bundle)], "--default"),
        (["export-vocoder", str(other), str(bundle), "--default", "bundle"], "another audio config"),
        (["export-vocoder", str(tmp_path / "nope"), str(bundle), "--default", "bundle"], "not found"),
        (["export-vocoder", str(path), str(tmp_path / "dir"), "--default", "bundle"], "not one"),
        (["export-vocoder", str(other), str(tmp_path / "dir")], "not a training checkpoint"),
        (["export-vocoder", str(path), str(bundle), "--default", "bundle", "--mel-match", "-1"], "must be >= 0"),
    ]
    for argv, message in cases:
        assert main(argv) != 0
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert (bundle / "config.yaml").read_text() == before and not (bundle / "vocoder").exists()


def test_several_checkpoints_export_the_mean_of_their_generators(vocoder_ckpt, tmp_path, capsys):
    path, module = vocoder_ckpt
    with torch.no_grad():
        for p in module.generator_ema.module.parameters():
            p.mul_(3.0)
    second = save_module_checkpoint(module, tmp_path / "second.ckpt")
    first = torch.load(path, map_location="cpu", weights_only=True)["state_dict"]
    assert main(["export-vocoder", str(path), str(second), str(tmp_path / "mean")]) == 0
    exported = load_vocoder(tmp_path / "mean").state_dict()
    for k, v in module.generator_ema.module.state_dict().items():
        assert torch.allclose(exported[k], (first["generator_ema.module." + k] + v) / 2, atol=1e-6)
    other = VocoderLightningModule({"name": "istft", "kwargs": {"dim": 8, "intermediate_dim": 16, "num_layers": 1}},
                                   module.hparams.audio_config, [])
    save_module_checkpoint(other, tmp_path / "other.ckpt")
    capsys.readouterr()
    assert main(["export-vocoder", str(path), str(tmp_path / "other.ckpt"), str(tmp_path / "bad")]) != 0
    assert "only checkpoints of one run average" in capsys.readouterr().err


def test_mel_matching_is_an_istft_setting() -> None:
    from prodiff_tts.training.vocoder_export import set_mel_matching
    from prodiff_tts.vocoders import build_vocoder

    with pytest.raises(ValueError, match="iSTFT vocoder"):
        set_mel_matching(build_vocoder("hifigan-v2", upsample_initial_channel=16), 1)

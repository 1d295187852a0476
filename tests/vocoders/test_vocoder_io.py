"""save_vocoder / load_vocoder: bit-exact round trips, clear errors, no pickle."""

from __future__ import annotations

import json

import pytest
import torch

from prodiff_tts.audio import AudioConfig
from prodiff_tts.vocoders import VocoderLoadError, build_vocoder, load_vocoder, remove_weight_norm, save_vocoder

TINY = {
    "griffin-lim": dict(n_iter=2),
    "hifigan-v1": dict(upsample_initial_channel=16),
    "hifigan-v3": dict(upsample_initial_channel=16),
    "istft": dict(dim=16, intermediate_dim=32, num_layers=2),
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_round_trip_is_bit_exact(tmp_path, name: str) -> None:
    torch.manual_seed(0)
    voc = build_vocoder(name, **TINY[name]).eval()
    save_vocoder(voc, tmp_path / "v")
    assert sorted(p.name for p in (tmp_path / "v").iterdir()) == ["model.safetensors", "vocoder.json"]
    for src in (tmp_path / "v", tmp_path / "v" / "model.safetensors", tmp_path / "v" / "vocoder.json"):
        back = load_vocoder(src)
        assert type(back) is type(voc) and back.config() == voc.config()
        a, b = voc.state_dict(), back.state_dict()
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    mel = torch.randn(1, 80, 5) - 5
    assert torch.equal(back(mel), voc(mel))


def test_weights_file_alone_is_enough(tmp_path) -> None:
    voc = build_vocoder("istft", **TINY["istft"])
    save_vocoder(voc, tmp_path)
    (tmp_path / "vocoder.json").unlink()
    assert isinstance(load_vocoder(tmp_path / "model.safetensors"), type(voc))  # header metadata


def test_weight_norm_state_is_kept(tmp_path) -> None:
    voc = remove_weight_norm(build_vocoder("hifigan-v1", **TINY["hifigan-v1"]).eval())
    save_vocoder(voc, tmp_path)
    back = load_vocoder(tmp_path)
    assert not back.has_weight_norm
    assert json.loads((tmp_path / "vocoder.json").read_text())["weight_norm"] is False
    mel = torch.randn(1, 80, 4) - 5
    assert torch.equal(back(mel), voc(mel))


def test_audio_config_travels(tmp_path) -> None:
    ac = AudioConfig(sample_rate=16000, fmax=7600.0)
    save_vocoder(build_vocoder("istft", audio_config=ac, **TINY["istft"]), tmp_path)
    assert load_vocoder(tmp_path).audio_config == ac


def test_corrupt_truncated_and_missing_files(tmp_path) -> None:
    save_vocoder(build_vocoder("istft", **TINY["istft"]), tmp_path)
    weights = tmp_path / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])  # truncated
    with pytest.raises(VocoderLoadError, match="model.safetensors"):
        load_vocoder(tmp_path)
    weights.write_bytes(b"\xff" * 64)  # garbage header
    with pytest.raises(VocoderLoadError, match="corrupt|readable"):
        load_vocoder(tmp_path)
    weights.unlink()
    with pytest.raises(VocoderLoadError, match="not found"):
        load_vocoder(tmp_path)
    with pytest.raises(VocoderLoadError, match="not found"):
        load_vocoder(tmp_path / "nowhere")


def test_bad_descriptions(tmp_path) -> None:
    save_vocoder(build_vocoder("istft", **TINY["istft"]), tmp_path)
    cfg = tmp_path / "vocoder.json"
    desc = json.loads(cfg.read_text())
    cfg.write_text("{not json")
    with pytest.raises(VocoderLoadError, match="JSON"):
        load_vocoder(tmp_path)
    cfg.write_text(json.dumps({**desc, "kwargs": {**desc["kwargs"], "dim": 24}}))
    with pytest.raises(VocoderLoadError, match="do not match"):
        load_vocoder(tmp_path)
    cfg.write_text(json.dumps({**desc, "name": "wavenet"}))
    with pytest.raises(VocoderLoadError, match="cannot build"):
        load_vocoder(tmp_path)
    cfg.write_text(json.dumps({**desc, "format": "something-else"}))
    with pytest.raises(VocoderLoadError, match="not a"):
        load_vocoder(tmp_path)

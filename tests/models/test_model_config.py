import json

import pytest

from prodiff_tts.models import AcousticConfig, AlignerConfig, DenoiserConfig, EncoderConfig, VarianceConfig, preset
from prodiff_tts.models.config import PRESETS


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_presets_round_trip(name):
    cfg = preset(name)
    d = cfg.to_dict()
    assert json.loads(json.dumps(d)) == d  # plain types only (YAML-safe)
    assert AcousticConfig.from_dict(d) == cfg
    assert AcousticConfig.from_dict(json.loads(json.dumps(d))) == cfg


def test_preset_sizes():
    lj = AcousticConfig.ljspeech()
    enc = lj.encoder
    assert (enc.hidden, enc.n_layers, enc.n_heads, enc.ffn_hidden, enc.kernel_size) == (256, 4, 2, 1024, 9)
    assert (lj.denoiser.n_layers, lj.denoiser.residual_channels, lj.denoiser.dilation_cycle) == (20, 256, 1)
    demo = AcousticConfig.demo()
    assert demo.denoiser.n_layers < lj.denoiser.n_layers and demo.encoder.hidden < lj.encoder.hidden
    with pytest.raises(ValueError, match="unknown preset"):
        preset("huge")


def test_defaults_and_partial_dicts():
    for cls in (EncoderConfig, VarianceConfig, AlignerConfig, DenoiserConfig, AcousticConfig):
        cls()
    cfg = AcousticConfig.from_dict({"n_mels": 40, "denoiser": {"n_layers": 6}})
    assert cfg.n_mels == 40 and cfg.denoiser.n_layers == 6 and cfg.denoiser.residual_channels == 256
    assert cfg.encoder == EncoderConfig()


@pytest.mark.parametrize(
    "bad",
    [
        {"encoder": {"hiden": 3}},
        {"n_mel": 80},
        {"encoder": {"hidden": 250, "n_heads": 4}},
        {"encoder": {"kernel_size": 4}},
        {"variance": {"dropout": 1.0}},
        {"denoiser": {"skip_norm": "mean"}},
        {"aligner": {"temperature": 0.0}},
        {"n_mels": 0},
    ],
)
def test_invalid_configs_raise(bad):
    with pytest.raises(ValueError):
        AcousticConfig.from_dict(bad)

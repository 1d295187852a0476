"""Every Hydra config composes, and the model / schedule it describes can be built."""

from importlib.resources import files

import pytest
from omegaconf import OmegaConf

from prodiff_tts.diffusion.schedule import make_schedule
from prodiff_tts.models.acoustic import AcousticModel
from prodiff_tts.models.config import AcousticConfig
from prodiff_tts.training.run import compose_config

CONFIGS = files("prodiff_tts.configs")


def options(group: str) -> list[str]:
    return sorted(p.name[:-5] for p in CONFIGS.joinpath(group).iterdir() if p.name.endswith(".yaml"))


@pytest.mark.parametrize("experiment", options("experiment"))
def test_every_experiment_composes(experiment):
    cfg = compose_config([f"experiment={experiment}"])
    assert cfg.task in ("teacher", "vocoder", "distill")
    assert cfg.run_dir
    OmegaConf.to_container(cfg, resolve=True)


@pytest.mark.parametrize("model", options("model"))
def test_every_model_config_builds(model):
    cfg = compose_config([f"model={model}"])
    config = AcousticConfig.from_dict(OmegaConf.to_container(cfg.model))
    if model == "tiny":
        AcousticModel(config, n_symbols=100)
    assert config.n_mels == cfg.audio.n_mels


@pytest.mark.parametrize("diffusion", options("diffusion"))
def test_every_diffusion_config_builds(diffusion):
    cfg = compose_config([f"diffusion={diffusion}"])
    sched = make_schedule(cfg.diffusion.schedule, **cfg.diffusion.schedule_kwargs)
    assert float(sched.alpha(0.5) ** 2 + sched.sigma(0.5) ** 2) == pytest.approx(1.0)


@pytest.mark.parametrize("group", ["trainer", "data", "audio"])
def test_every_option_of_simple_groups_composes(group):
    for name in options(group):
        cfg = compose_config([f"{group}={name}"])
        assert cfg[group]


def test_unknown_model_key_is_an_error():
    cfg = compose_config(["model=tiny", "+model.encoder.hiden=3"])
    with pytest.raises(ValueError, match="unknown EncoderConfig keys"):
        AcousticConfig.from_dict(OmegaConf.to_container(cfg.model))

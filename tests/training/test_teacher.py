
import numpy as np
import pytest
import soundfile as sf
import torch

from prodiff_tts.cli import main
from prodiff_tts.checkpoints import read_checkpoint


@pytest.mark.slow
def test_train_writes_checkpoint_logs_and_val_images(trained_tiny):
    ckpt = trained_tiny / "checkpoints" / "last.ckpt"
    assert ckpt.is_file()
    state = read_checkpoint(ckpt)  # loads with weights_only=True
    assert state["global_step"] == 20
    assert any(k.startswith("ema.module.denoiser.") for k in state["state_dict"])
    metrics = "".join(p.read_text() for p in (trained_tiny / "logs").glob("version_*/metrics.csv"))
    assert "val/mel_l1_4steps" in metrics and "train/mel_l1" in metrics
    assert list((trained_tiny / "val_images").glob("*.png"))
    for name in ("config.yaml", "vocab.json", "stats.json"):
        assert (trained_tiny / name).is_file()


@pytest.mark.slow
def test_rerun_resumes_from_last_checkpoint(trained_tiny, prepared_tiny):
    from prodiff_tts.training.run import train

    train(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={trained_tiny}", "trainer.max_steps=24"])
    assert read_checkpoint(trained_tiny / "checkpoints" / "last.ckpt")["global_step"] == 24


@pytest.mark.slow
def test_export_then_synthesize_round_trip(trained_tiny, tmp_path, capsys):
    bundle = tmp_path / "bundle"
    assert main(["export", str(trained_tiny / "checkpoints" / "last.ckpt"), str(bundle)]) == 0
    assert {"config.yaml", "acoustic.safetensors", "denoiser_teacher.safetensors", "vocab.json",
            "stats.json"} <= {p.name for p in bundle.iterdir()}
    lengths = []
    for i, text in enumerate(["Hello there.", "Hello there, this sentence is quite a lot longer than the first."]):
        out = tmp_path / f"out{i}.wav"
        assert main(["synthesize", text, "--model", str(bundle), "--steps", "4", "--vocoder", "griffin-lim",
                     "-o", str(out)]) == 0
        wav, sr = sf.read(out)
        assert sr == 22050 and wav.ndim == 1 and np.abs(wav).max() > 1e-3
        lengths.append(len(wav))
    assert lengths[1] > 1.5 * lengths[0]
    assert "RTF" in capsys.readouterr().out

    from prodiff_tts.api import Synthesizer

    synth = Synthesizer.from_pretrained(bundle, vocoder="griffin-lim")
    a, _ = synth.synthesize("Same seed, same audio.", steps=4, seed=3)
    b, _ = synth.synthesize("Same seed, same audio.", steps=4, seed=3)
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="supported: 4, 8"):
        synth.synthesize("hi", steps=3)


@pytest.mark.slow
def test_float16_export_halves_the_weights_and_sounds_the_same(trained_tiny, tmp_path):
    from prodiff_tts.api import Synthesizer
    from prodiff_tts.bundle import read_bundle_config

    ckpt = str(trained_tiny / "checkpoints" / "last.ckpt")
    full, half = tmp_path / "fp32", tmp_path / "fp16"
    assert main(["export", ckpt, str(full), "--teacher-steps", "2", "4"]) == 0
    assert main(["export", ckpt, str(half), "--teacher-steps", "4", "2", "--weights-dtype", "float16"]) == 0
    for name in ("acoustic.safetensors", "denoiser_teacher.safetensors"):
        ratio = (half / name).stat().st_size / (full / name).stat().st_size
        assert 0.45 < ratio < 0.55
    assert read_bundle_config(half).extra["weights_dtype"] == "float16"
    mels = []
    for bundle in (full, half):
        synth = Synthesizer.from_pretrained(bundle, vocoder="griffin-lim")
        assert synth.supported_steps == [2, 4]
        assert all(p.dtype == torch.float32 for p in synth.model.parameters())  # runs in float32
        mels.append(synth.mel_batch(["Half precision weights."], steps=2, seed=1)[0])
    assert mels[0].shape == mels[1].shape
    assert (mels[0] - mels[1]).abs().mean() < 0.02 * mels[0].abs().mean()


@pytest.mark.slow
def test_init_from_voice_starts_from_its_weights_and_refuses_another_model(tiny_bundle, prepared_tiny, tmp_path):
    from prodiff_tts.bundle import BundleError, acoustic_state
    from prodiff_tts.training.run import compose_config
    from prodiff_tts.training.teacher import TeacherModule, init_from_voice
    from prodiff_tts.text import Vocab
    from omegaconf import OmegaConf

    cfg = compose_config(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={tmp_path}"])
    vocab = Vocab.load(prepared_tiny / "vocab.json")

    def module(model_cfg) -> TeacherModule:
        return TeacherModule(model=OmegaConf.to_container(model_cfg, resolve=True), n_symbols=len(vocab),
                             diffusion=OmegaConf.to_container(cfg.diffusion, resolve=True),
                             optim=OmegaConf.to_container(cfg.teacher, resolve=True))

    m = module(cfg.model)
    _, state = acoustic_state(tiny_bundle)
    key = "denoiser.output_projection.weight" if "denoiser.output_projection.weight" in state else next(
        k for k in state if k.startswith("denoiser."))
    assert not torch.equal(m.model.state_dict()[key], state[key])
    init_from_voice(m, tiny_bundle, list(vocab.symbols))
    for name, value in m.model.state_dict().items():
        assert torch.equal(value, state[name]), name
        assert torch.equal(m.ema.module.state_dict()[name], state[name]), name
    with pytest.raises(BundleError, match="phoneme inventory"):
        init_from_voice(m, tiny_bundle, list(vocab.symbols) + ["XX"])
    bigger = OmegaConf.merge(cfg.model, {"denoiser": {"n_layers": cfg.model.denoiser.n_layers + 1}})
    with pytest.raises(BundleError, match="model config"):
        init_from_voice(module(bigger), tiny_bundle, list(vocab.symbols))
    # a multi-stage model from the one-stage voice: every head starts as the voice's denoiser (same outputs)
    n = int(cfg.model.denoiser.n_layers)
    staged = OmegaConf.merge(cfg.model, {"denoiser": {"n_stages": 2, "trunk_layers": n - 1,
                                                      "stage_boundaries": [0.5]}})
    ms = module(staged)
    init_from_voice(ms, tiny_bundle, list(vocab.symbols))
    assert torch.equal(ms.model.state_dict()["denoiser.heads.1.output_projection.weight"],
                       state["denoiser.output_projection.weight"])
    z, c = torch.randn(2, m.model.config.n_mels, 7), torch.randn(2, m.model.config.encoder.hidden, 7)
    t = torch.tensor([0.2, 0.8])  # one item per stage
    with torch.no_grad():
        assert torch.allclose(ms.model.denoiser.eval()(z, t, c), m.model.denoiser.eval()(z, t, c), atol=1e-6)


@pytest.mark.slow
def test_train_with_init_from_runs_from_the_voice(tiny_bundle, prepared_tiny, tmp_path):
    from prodiff_tts.training.run import train

    run_dir = tmp_path / "ft"
    train(["experiment=fixture", f"data.dir={prepared_tiny}", f"run_dir={run_dir}", "trainer.max_steps=2",
           f"teacher.init_from={tiny_bundle}"])
    assert read_checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"] == 2

"""The multi-stage denoiser: one stage is today's denoiser exactly; with stages, each item runs its own head."""

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from torch import nn

from prodiff_tts.models import AcousticConfig, DenoiserConfig, WaveNetDenoiser

REFERENCE = Path(__file__).resolve().parent / "data" / "denoiser_reference.safetensors"


def _multi(n_layers=5, trunk=3, boundaries=(0.3, 0.7), **kw) -> WaveNetDenoiser:
    torch.manual_seed(0)
    cfg = DenoiserConfig(residual_channels=8, n_layers=n_layers, n_stages=len(boundaries) + 1,
                         stage_boundaries=boundaries, trunk_layers=trunk, **kw)
    den = WaveNetDenoiser(cfg, n_mels=5, cond_channels=6)
    for head in den.heads:  # zero-initialised; randomise to tell the heads apart
        nn.init.normal_(head.output_projection.weight, std=0.3)
    return den.eval()


def _inputs(b=4, t=11):
    g = torch.Generator().manual_seed(1)
    return torch.randn(b, 5, t, generator=g), torch.randn(b, 6, t, generator=g)


@pytest.mark.parametrize("case", ["plain", "dilated_all", "masked_used"])
def test_one_stage_reproduces_the_denoiser_before_stages_existed(case):
    """Weights and outputs were computed by the code before the multi-stage option (make_denoiser_reference.py)."""
    from make_denoiser_reference import CASES, build

    ref = load_file(str(REFERENCE))
    _, kwargs, layer_mask = next(c for c in CASES if c[0] == case)
    den = build(kwargs)  # today's code, n_stages=1 by default
    state = {k[len(f"{case}.state."):]: v for k, v in ref.items() if k.startswith(f"{case}.state.")}
    own = den.state_dict()
    assert sorted(own) == sorted(state)  # the same keys (safetensors stores them sorted)
    assert all(own[k].shape == v.shape for k, v in state.items())
    den.load_state_dict(state, strict=True)
    i = {k: ref[f"input.{k}"] for k in ("x", "t", "cond", "mask")}
    # not bit-equal across CPUs: the reference was written on an AMD EPYC, an Intel Xeon's kernels differ by
    # ~6e-8 (one float32 ulp of these outputs); any change to the computation moves them by far more
    with torch.no_grad():
        torch.testing.assert_close(den(i["x"], i["t"], i["cond"], i["mask"], layer_mask), ref[f"{case}.out"],
                                   atol=1e-6, rtol=0)
        torch.testing.assert_close(den(i["x"], i["t"], i["cond"], None, layer_mask), ref[f"{case}.out_nomask"],
                                   atol=1e-6, rtol=0)
        projected = den.project_condition(i["cond"])
        torch.testing.assert_close(den(i["x"], i["t"], projected, i["mask"], layer_mask), ref[f"{case}.out"],
                                   atol=1e-5, rtol=0)


def test_one_stage_ignores_trunk_layers_and_has_the_plain_keys():
    a = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=4), 5, 6)
    b = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=4, trunk_layers=2), 5, 6)
    assert list(a.state_dict()) == list(b.state_dict())
    assert not hasattr(a, "heads")


def test_multi_stage_keys_and_parameter_count():
    den = _multi(n_layers=5, trunk=3, boundaries=(0.5,))
    keys = den.state_dict().keys()
    assert {k.split(".")[1] for k in keys if k.startswith("layers.")} == {"0", "1", "2"}
    assert {k.split(".")[1] for k in keys if k.startswith("heads.")} == {"0", "1"}
    assert "heads.1.layers.1.dilated_conv.weight" in keys and "output_projection.weight" not in keys
    # parameters: trunk 3 + 2 heads x 2 layers = one-stage model with 7 layers + one more skip/output pair
    one = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=den.config.stored_layers), 5, 6)
    extra = sum(p.numel() for p in den.heads[1].parameters()) - sum(
        p.numel() for p in den.heads[1].layers.parameters())
    count = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert count(den) == count(one) + extra


def test_each_item_goes_through_its_own_stage_head():
    den = _multi()
    calls: list[tuple[int, int]] = []
    for s, head in enumerate(den.heads):
        head.output_projection.register_forward_hook(lambda m, a, o, s=s: calls.append((s, a[0].shape[0])))
    x, c = _inputs(b=5)
    t = torch.tensor([0.9, 0.1, 0.5, 0.95, 0.3])  # stages 2, 0, 1, 2, 1 (0.3 is the first edge: stage 1)
    assert den.stage_of(t).tolist() == [2, 0, 1, 2, 1]
    y = den(x, t, c)
    assert sorted(calls) == [(0, 1), (1, 2), (2, 2)]  # one pass per stage present, on its items only
    for i in range(5):  # a mixed batch equals each item run alone
        torch.testing.assert_close(y[i : i + 1], den(x[i : i + 1], t[i : i + 1], c[i : i + 1]), atol=1e-5, rtol=0)
    calls.clear()
    den(x, torch.full((5,), 0.8), c)
    assert calls == [(2, 5)]  # one stage: one head, whole batch
    assert den.stage_of(torch.tensor([0.0, 0.2999, 1.0])).tolist() == [0, 0, 2]


def test_heads_differ_and_trunk_runs_once_per_call():
    den = _multi()
    trunk_calls = []
    den.layers[0].register_forward_hook(lambda m, a, o: trunk_calls.append(a[0].shape[0]))
    x, c = _inputs(b=3)
    t = torch.tensor([0.1, 0.5, 0.9])
    den(x, t, c)
    assert trunk_calls == [3]
    # the same input at times in different stages uses different heads' weights
    same = torch.tensor([0.29, 0.31])
    y = den(x[:1].repeat(2, 1, 1), same, c[:1].repeat(2, 1, 1))
    assert not torch.allclose(y[0], y[1], atol=1e-3)


def test_layer_masks_projected_condition_mask_and_flops_with_stages():
    den = _multi(dilation_cycle=2)
    x, c = _inputs(b=4)
    t = torch.tensor([0.1, 0.5, 0.9, 0.6])
    mask = torch.ones(4, 1, 11)
    mask[1, :, 7:] = 0
    proj = den.project_condition(c)
    assert proj.proj.shape == (4, 3 + 3 * 2, 16, 11)
    for lm in (None, [True, False, True, False, True], [False, False, False, True, False]):
        ref = den(x, t, c, mask, lm)
        torch.testing.assert_close(den(x, t, proj, mask, lm), ref, atol=1e-5, rtol=0)
        assert (ref[1, :, 7:] == 0).all()
        for i in range(4):
            alone = den(x[i : i + 1], t[i : i + 1], c[i : i + 1], mask[i : i + 1], lm)
            torch.testing.assert_close(ref[i : i + 1], alone, atol=1e-5, rtol=0)
    ran = []
    for k, layer in enumerate(den._all_layers()):
        layer.register_forward_hook(lambda m, a, o, k=k: ran.append(k))
    den(x[:1], t[:1], c[:1], layer_mask=[True, False, True, False, True])  # stage 0: head layers 3, 4
    assert ran == [0, 2, 4]
    ran.clear()
    den(x[2:3], t[2:3], c[2:3], layer_mask=[True, False, True, False, True])  # stage 2: head layers 7, 8
    assert ran == [0, 2, 8]
    with pytest.raises(ValueError, match="layer_mask has 9 entries"):
        den(x, t, c, layer_mask=[True] * 9)
    # per step: one trunk + one head, as the one-stage denoiser of n_layers layers
    plain = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=5), 5, 6)
    assert den.flops_per_frame() == plain.flops_per_frame()
    macs = []
    for mod in den.modules():
        if isinstance(mod, nn.Conv1d):
            mod.register_forward_hook(lambda mod, a, o: macs.append(mod.weight.numel()))
    den(x[:1], t[:1], c[:1])
    assert den.flops_per_frame() == sum(macs)


def test_skip_norm_with_stages():
    lm = [True, True, False, False, True]
    x, c = _inputs(b=2)
    t = torch.tensor([0.1, 0.9])
    used, all_ = _multi(skip_norm="used"), _multi(skip_norm="all")
    assert torch.equal(used(x, t, c), all_(x, t, c))
    assert not torch.allclose(used(x, t, c, layer_mask=lm), all_(x, t, c, layer_mask=lm))


def test_tiny_multi_stage_model_overfits_a_batch():
    torch.manual_seed(0)
    cfg = DenoiserConfig(residual_channels=16, n_layers=4, n_stages=2, stage_boundaries=(0.5,), trunk_layers=2)
    den = WaveNetDenoiser(cfg, n_mels=5, cond_channels=6).train()
    g = torch.Generator().manual_seed(3)
    x0 = torch.randn(8, 5, 12, generator=g)
    cond = x0.repeat(1, 2, 1)[:, :6] + 0.1 * torch.randn(8, 6, 12, generator=g)  # the condition tells x0
    t = torch.linspace(0.05, 0.95, 8)  # both stages in every batch
    z = (1 - t).view(-1, 1, 1) * x0 + t.view(-1, 1, 1) * torch.randn(8, 5, 12, generator=g)
    opt = torch.optim.Adam(den.parameters(), lr=3e-3)
    losses = []
    for _ in range(300):
        loss = (den(z, t, cond) - x0).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 8
    assert all(p.grad is not None for p in den.parameters())  # both heads trained


def test_unresolved_stages_cannot_build_a_model_but_the_config_composes():
    cfg = DenoiserConfig(n_layers=4, n_stages=2, trunk_layers=2)
    assert not cfg.stages_resolved
    with pytest.raises(ValueError, match="no stage_boundaries"):
        WaveNetDenoiser(cfg, 5, 6)
    resolved = cfg.with_stage_boundaries([0.4])
    assert resolved.stages_resolved and resolved.stage_edges == (0.0, 0.4, 1.0)
    assert WaveNetDenoiser(resolved, 5, 6).n_stages == 2


@pytest.mark.parametrize("bad, match", [
    ({"n_stages": 0}, "n_stages must be >= 1"),
    ({"n_stages": 2}, "needs trunk_layers"),
    ({"n_stages": 2, "trunk_layers": 5}, "trunk_layers must be an integer in"),
    ({"n_stages": 2, "trunk_layers": -1}, "trunk_layers must be an integer in"),
    ({"n_stages": 2, "trunk_layers": 2.5}, "trunk_layers must be an integer in"),
    ({"n_stages": 3, "trunk_layers": 2, "stage_boundaries": [0.5]}, "make 2 stages, but n_stages is 3"),
    ({"n_stages": 3, "trunk_layers": 2, "stage_boundaries": [0.6, 0.4]}, "strictly increasing"),
    ({"n_stages": 2, "trunk_layers": 2, "stage_boundaries": [1.0]}, r"strictly inside \(0, 1\)"),
    ({"n_stages": 2, "trunk_layers": 2, "stage_boundaries": ["a"]}, "list of numbers"),
    ({"n_stages": 2, "trunk_layers": 2, "stage_boundaries": 0.5}, "list of numbers"),
])
def test_bad_stage_options_are_one_line_value_errors(bad, match):
    with pytest.raises(ValueError, match=match) as e:
        DenoiserConfig.from_dict({"n_layers": 4, **bad})
    assert "\n" not in str(e.value)


def test_stage_options_round_trip_through_plain_dicts():
    import json

    import yaml

    cfg = AcousticConfig.from_dict({"denoiser": {"n_layers": 6, "n_stages": 3, "stage_boundaries": [0.2, 0.6],
                                                 "trunk_layers": 4}})
    d = cfg.to_dict()
    assert d["denoiser"]["stage_boundaries"] == [0.2, 0.6]  # a list: YAML- and JSON-safe
    assert cfg.denoiser.stage_boundaries == (0.2, 0.6)  # stored as a tuple
    assert AcousticConfig.from_dict(yaml.safe_load(yaml.safe_dump(d))) == cfg
    assert AcousticConfig.from_dict(json.loads(json.dumps(d))) == cfg
    assert cfg.denoiser.to_dict() == d["denoiser"]
    assert (cfg.denoiser.shared_layers, cfg.denoiser.head_layers, cfg.denoiser.stored_layers) == (4, 2, 10)


def test_stage_state_from_single_starts_every_head_as_the_one_stage_denoiser():
    from dataclasses import replace

    from prodiff_tts.models.config import preset
    from prodiff_tts.models.denoiser import stage_state_from_single

    cfg = preset("tiny").denoiser
    torch.manual_seed(0)
    one = WaveNetDenoiser(cfg, 20, 16).eval()
    torch.nn.init.normal_(one.output_projection.weight, std=0.1)
    staged_cfg = replace(cfg, n_stages=3, trunk_layers=1, stage_boundaries=(0.3, 0.7))
    staged = WaveNetDenoiser(staged_cfg, 20, 16).eval()
    staged.load_state_dict(stage_state_from_single(one.state_dict(), staged_cfg))  # strict: every key mapped
    z, c, t = torch.randn(3, 20, 9), torch.randn(3, 16, 9), torch.tensor([0.1, 0.5, 0.9])
    with torch.no_grad():
        assert torch.allclose(one(z, t, c), staged(z, t, c), atol=1e-6)
        staged.heads[2].output_projection.weight.add_(1.0)  # the heads are copies, not shared tensors
        assert torch.allclose(one(z[:2], t[:2], c[:2]), staged(z[:2], t[:2], c[:2]), atol=1e-6)
        assert not torch.allclose(one(z[2:], t[2:], c[2:]), staged(z[2:], t[2:], c[2:]))

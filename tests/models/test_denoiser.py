import pytest
import torch
from torch import nn

from prodiff_tts.models import DenoiserConfig, WaveNetDenoiser


def _denoiser(n_layers=4, **kw):
    torch.manual_seed(0)
    den = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=n_layers, **kw), n_mels=5, cond_channels=6)
    nn.init.normal_(den.output_projection.weight, std=0.3)  # zero-initialised; randomise to test the wiring
    return den.eval()


def _inputs(b=2, t=11):
    g = torch.Generator().manual_seed(1)
    return torch.randn(b, 5, t, generator=g), torch.rand(b, generator=g), torch.randn(b, 6, t, generator=g)


def test_shapes_and_zero_init():
    x, t, c = _inputs()
    den = WaveNetDenoiser(DenoiserConfig(residual_channels=8, n_layers=3), n_mels=5, cond_channels=6)
    assert (den(x, t, c) == 0).all()  # x0 prediction starts at the (normalised) mean
    assert _denoiser()(x, t, c).shape == x.shape
    assert _denoiser()(x, t[0], c).shape == x.shape  # scalar t broadcast


def test_all_layers_skipped_uses_only_in_out_convs():
    den = _denoiser()
    x, t, c = _inputs()
    off = [False] * 4
    y = den(x, t, c, layer_mask=off)
    # no residual layer runs: output = out(relu(skip(0))), whatever x, t and cond are
    x2, t2, c2 = (v + 1.0 for v in _inputs())
    assert torch.equal(den(x2, t2, c2, layer_mask=torch.zeros(4, dtype=torch.bool)), y)
    manual = den.output_projection(torch.relu(den.skip_projection(torch.zeros(2, 8, 11))))
    torch.testing.assert_close(y, manual)
    assert den.flops_per_frame(off) < den.flops_per_frame([True, False, True, False]) < den.flops_per_frame()


def test_skipped_layers_are_not_run():
    den = _denoiser()
    calls = []
    for i, layer in enumerate(den.layers):
        layer.register_forward_hook(lambda m, a, o, i=i: calls.append(i))
    x, t, c = _inputs()
    den(x, t, c, layer_mask=[True, False, False, True])
    assert calls == [0, 3]
    with pytest.raises(ValueError):
        den(x, t, c, layer_mask=[True, False])


def test_skip_norm_options():
    x, t, c = _inputs()
    lm = [True, True, False, False]
    used, all_ = _denoiser(skip_norm="used"), _denoiser(skip_norm="all")
    assert torch.equal(used(x, t, c), all_(x, t, c))  # identical when nothing is skipped
    assert not torch.allclose(used(x, t, c, layer_mask=lm), all_(x, t, c, layer_mask=lm))


def test_mask_respected():
    den = _denoiser(dilation_cycle=2)
    x, t, c = _inputs()
    mask = torch.ones(2, 1, 11)
    mask[1, :, 7:] = 0
    y = den(x, t, c, mask)
    assert (y[1, :, 7:] == 0).all()
    x2, c2 = x.clone(), c.clone()
    x2[1, :, 7:] = 100.0
    c2[1, :, 7:] = -50.0
    y2 = den(x2, t, c2, mask)
    torch.testing.assert_close(y2, y)
    # the valid part equals running the item alone, unpadded
    alone = den(x[1:, :, :7], t[1:], c[1:, :, :7])
    torch.testing.assert_close(y[1:, :, :7], alone, atol=1e-5, rtol=0)


def test_projected_condition_matches():
    den = _denoiser()
    x, t, c = _inputs()
    proj = den.project_condition(c)
    assert proj.proj.shape == (2, 4, 16, 11)
    torch.testing.assert_close(den(x, t, proj), den(x, t, c), atol=1e-5, rtol=0)
    lm = [False, True, True, False]
    torch.testing.assert_close(den(x, t, proj, layer_mask=lm), den(x, t, c, layer_mask=lm), atol=1e-5, rtol=0)


@pytest.mark.parametrize("layer_mask", [None, [True, False, True, True], [False] * 4])
def test_flops_per_frame_counts_the_convs_that_run(layer_mask):
    den = _denoiser()
    macs = []
    for m in den.modules():
        if isinstance(m, nn.Conv1d):
            m.register_forward_hook(lambda mod, a, o: macs.append(mod.weight.numel()))
    x, t, c = _inputs(b=1)
    den(x, t, c, layer_mask=layer_mask)
    assert den.flops_per_frame(layer_mask) == sum(macs)
    n_on = 4 if layer_mask is None else sum(layer_mask)
    assert den.flops_per_frame(layer_mask) - den.flops_per_frame(layer_mask, include_condition=False) == n_on * 6 * 16


def test_gradients_flow():
    den = _denoiser()
    x, t, c = _inputs()
    c.requires_grad_(True)
    den.train()
    den(x, t, c).pow(2).mean().backward()
    assert c.grad is not None and c.grad.abs().sum() > 0
    assert all(p.grad is not None for p in den.parameters())

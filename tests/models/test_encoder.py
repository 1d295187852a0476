import pytest
import torch

from prodiff_tts.models import EncoderConfig, PhonemeEncoder, sequence_mask


@pytest.mark.parametrize("pre_ln", [True, False])
def test_encoder_shapes_and_padding_invariance(pre_ln):
    torch.manual_seed(0)
    cfg = EncoderConfig(hidden=16, n_layers=2, n_heads=2, ffn_hidden=24, kernel_size=3, pre_ln=pre_ln)
    enc = PhonemeEncoder(cfg, 12).eval()
    lengths = torch.tensor([6, 4])
    ph = torch.randint(1, 12, (2, 6)) * sequence_mask(lengths, 6)
    h, mask = enc(ph, lengths)
    assert h.shape == (2, 6, 16) and mask.tolist() == [[True] * 6, [True] * 4 + [False] * 2]
    assert (h[1, 4:] == 0).all()
    # longer padding and different pad contents do not change valid outputs
    ph2 = torch.cat([ph, torch.zeros(2, 3, dtype=torch.long)], 1)
    ph2[1, 4:] = 5
    h2, _ = enc(ph2, lengths)
    torch.testing.assert_close(h2[0, :6], h[0], atol=1e-5, rtol=0)
    torch.testing.assert_close(h2[1, :4], h[1, :4], atol=1e-5, rtol=0)
    # the item alone gives the same result as in the batch
    h3, _ = enc(ph[1:, :4], lengths[1:])
    torch.testing.assert_close(h3[0], h[1, :4], atol=1e-5, rtol=0)


def test_encoder_rejects_empty_sequence():
    enc = PhonemeEncoder(EncoderConfig(hidden=8, n_layers=1, n_heads=1, ffn_hidden=8, kernel_size=3), 5)
    with pytest.raises(ValueError):
        enc(torch.zeros(1, 3, dtype=torch.long), torch.tensor([0]))

import math

import pytest
import torch

from prodiff_tts.models import VarianceConfig, average_by_duration, durations_from_log, length_regulate, sequence_mask
from prodiff_tts.models.variance import VarianceAdaptor, durations_to_alignment


def test_length_regulate_matches_repeat_interleave():
    g = torch.Generator().manual_seed(0)
    h = torch.randn(3, 5, 4, generator=g)
    d = torch.randint(0, 4, (3, 5), generator=g)
    d[2, 3:] = 0  # padded phonemes
    d[0] = torch.tensor([0, 0, 2, 0, 1])
    frames, lengths = length_regulate(h, d)
    assert lengths.tolist() == d.sum(1).tolist() and frames.shape == (3, int(d.sum(1).max()), 4)
    for b in range(3):
        ref = torch.repeat_interleave(h[b], d[b], dim=0)
        assert torch.equal(frames[b, : len(ref)], ref)
        assert (frames[b, len(ref):] == 0).all()
    # round trip: averaging the expanded frames returns the phoneme vectors (where duration > 0)
    for c in range(4):
        back = average_by_duration(frames[..., c], d)
        torch.testing.assert_close(back[d > 0], h[..., c][d > 0])
        assert (back[d == 0] == 0).all()
    # max_len pads or cuts
    longer, l2 = length_regulate(h, d, max_len=20)
    assert longer.shape[1] == 20 and torch.equal(l2, lengths) and torch.equal(longer[:, : frames.shape[1]], frames)
    cut, l3 = length_regulate(h, d, max_len=2)
    assert cut.shape[1] == 2 and l3.tolist() == [min(2, x) for x in lengths.tolist()]


def test_length_regulate_validates():
    with pytest.raises(ValueError):
        length_regulate(torch.zeros(1, 2, 3), torch.tensor([[1, -1]]))
    with pytest.raises(ValueError):
        length_regulate(torch.zeros(1, 2, 3), torch.tensor([[1, 1, 1]]))


def test_average_by_duration_hand_example():
    values = torch.tensor([[1.0, 3.0, 5.0, 2.0, 4.0, 9.0, 0.0]])
    durations = torch.tensor([[2, 0, 3, 1, 0]])  # frames [0,1] [] [2,3,4] [5] []; frame 6 is padding
    voiced = torch.tensor([[True, True, False, True, False, False, False]])
    torch.testing.assert_close(average_by_duration(values, durations), torch.tensor([[2.0, 0.0, 11 / 3, 9.0, 0.0]]))
    voiced_mean = average_by_duration(values, durations, voiced)
    torch.testing.assert_close(voiced_mean, torch.tensor([[2.0, 0.0, 2.0, 0.0, 0.0]]))
    assert durations_to_alignment(durations, 7).sum(-1).tolist() == [[2, 0, 3, 1, 0]]


def test_durations_from_log_speed_and_rounding():
    mask = torch.tensor([[True, True, True, True, False]])
    d = torch.tensor([[1.4, 1.4, 1.4, 0.0, 5.0]])
    dur = durations_from_log(torch.log1p(d), mask)
    # cumulative rounding: boundaries round(1.4)=1, round(2.8)=3, round(4.2)=4 -> total = round(4.2), not 3
    assert dur.tolist() == [[1, 2, 1, 0, 0]]
    fast = durations_from_log(torch.log1p(torch.full((1, 5), 4.0)), mask, speed=2.0)
    assert fast.tolist() == [[2, 2, 2, 2, 0]]
    slow = durations_from_log(torch.log1p(torch.full((1, 5), 4.0)), mask, speed=0.5)
    assert slow.tolist() == [[8, 8, 8, 8, 0]]
    # an utterance predicted to last 0 frames gets one frame on its longest phoneme
    tiny = durations_from_log(torch.log1p(torch.tensor([[0.1, 0.3, 0.0, 0.0, 9.0]])), mask)
    assert tiny.tolist() == [[0, 1, 0, 0, 0]]
    assert (durations_from_log(torch.full((2, 3), -5.0), torch.ones(2, 3, dtype=torch.bool)).sum(1) == 1).all()
    with pytest.raises(ValueError):
        durations_from_log(torch.zeros(1, 2), torch.ones(1, 2, dtype=torch.bool), speed=0.0)


def test_durations_from_log_guards_against_overflow():
    from prodiff_tts.models.variance import MAX_PHONEME_FRAMES

    mask = torch.ones(1, 4, dtype=torch.bool)
    wild = torch.tensor([[1e4, float("inf"), float("nan"), 1.0]])  # exp(1e4) overflows float32
    dur = durations_from_log(wild, mask)
    assert dur[0, :2].tolist() == [MAX_PHONEME_FRAMES, MAX_PHONEME_FRAMES] and dur[0, 2] == 0
    assert dur[0, 3] == round(math.e - 1)
    assert durations_from_log(wild, mask, speed=0.5)[0, 0] == 2 * MAX_PHONEME_FRAMES  # the cap is before speed


@pytest.mark.parametrize("use_energy", [True, False])
def test_variance_adaptor_teacher_forced_and_predicted(use_energy):
    torch.manual_seed(0)
    va = VarianceAdaptor(VarianceConfig(filter_size=8, use_energy=use_energy), hidden=6).eval()
    lengths = torch.tensor([4, 2])
    mask = sequence_mask(lengths, 4)
    h = torch.randn(2, 4, 6) * mask[..., None]
    d = torch.tensor([[1, 2, 0, 3], [2, 2, 0, 0]])
    out = va(h, mask, durations=d, pitch=torch.randn(2, 4), energy=torch.randn(2, 4), max_len=9)
    assert out.frames.shape == (2, 9, 6) and out.mel_lengths.tolist() == [6, 4]
    assert out.log_duration_pred.shape == (2, 4) and (out.log_duration_pred[1, 2:] == 0).all()
    assert (out.energy_pred is None) != use_energy
    pred = va(h, mask)
    assert pred.frames.shape[1] == int(pred.mel_lengths.max()) and (pred.mel_lengths >= 1).all()
    assert (pred.durations[1, 2:] == 0).all()

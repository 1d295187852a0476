import itertools

import numpy as np
import pytest
import torch

from prodiff_tts.models import (
    Aligner,
    AlignerConfig,
    binarization_loss,
    forward_sum_loss,
    maximum_path,
    maximum_path_numpy,
)
from prodiff_tts.models.aligner import beta_binomial_log_prior


def _check_hard(hard: np.ndarray, n_frames: int, n_ph: int) -> None:
    assert set(np.unique(hard)) <= {0.0, 1.0}
    assert (hard[n_frames:] == 0).all() and (hard[:, n_ph:] == 0).all()
    valid = hard[:n_frames, :n_ph]
    assert (valid.sum(1) == 1).all()  # every frame exactly once
    path = valid.argmax(1)
    steps = np.diff(path)
    if n_frames >= n_ph:
        assert path[0] == 0 and path[-1] == n_ph - 1 and set(steps) <= {0, 1}
        assert (valid.sum(0) >= 1).all()
    else:
        assert (steps >= 1).all()  # strictly increasing: N - T phonemes get 0 frames
    assert valid.sum() == n_frames


def _brute_force(log_p: np.ndarray) -> tuple[float, tuple[int, ...]]:
    n_frames, n_ph = log_p.shape
    best = (-np.inf, ())
    for path in itertools.product(range(n_ph), repeat=n_frames):
        steps = np.diff(path)
        if n_frames >= n_ph:
            ok = path[0] == 0 and path[-1] == n_ph - 1 and set(steps.tolist()) <= {0, 1}
        else:
            ok = (steps >= 1).all()
        if ok:
            score = float(sum(log_p[t, n] for t, n in enumerate(path)))
            if score > best[0]:
                best = (score, path)
    return best


@pytest.mark.parametrize("shape", [(1, 1), (3, 1), (1, 3), (4, 4), (6, 3), (5, 2), (3, 5), (2, 4), (7, 4)])
def test_mas_matches_brute_force(shape):
    rng = np.random.default_rng(sum(shape))
    for _ in range(3):
        log_p = rng.normal(size=shape).astype(np.float32)
        hard = maximum_path_numpy(log_p[None], [shape[1]], [shape[0]])[0]
        _check_hard(hard, *shape)
        score, path = _brute_force(log_p)
        assert tuple(hard.argmax(1)) == path
        assert float((hard * log_p).sum()) == pytest.approx(score, abs=1e-4)


def test_mas_random_batches_with_padding():
    rng = np.random.default_rng(0)
    b, t_max, n_max = 6, 40, 12
    log_p = np.log(rng.dirichlet(np.ones(n_max), size=(b, t_max))).astype(np.float32)
    text_lengths = np.array([12, 5, 1, 12, 9, 3])
    mel_lengths = np.array([40, 17, 8, 6, 9, 1])  # includes N > T (12 > 6) and T == N
    hard = maximum_path_numpy(log_p, text_lengths, mel_lengths)
    for i in range(b):
        _check_hard(hard[i], mel_lengths[i], text_lengths[i])
        assert hard[i].sum(0).sum() == mel_lengths[i]
    # robust to -inf / nan entries: still a valid path
    bad = log_p.copy()
    bad[0, :, 3] = -np.inf
    bad[1, 2:5] = np.nan
    hard = maximum_path_numpy(bad, text_lengths, mel_lengths)
    for i in range(b):
        _check_hard(hard[i], mel_lengths[i], text_lengths[i])


def test_maximum_path_torch_wrapper():
    log_attn = torch.randn(2, 10, 4).log_softmax(-1)
    hard = maximum_path(log_attn, torch.tensor([4, 3]), torch.tensor([10, 7]))
    assert hard.dtype == log_attn.dtype and hard.shape == log_attn.shape
    assert hard.sum(1).sum(1).tolist() == [10, 7]
    with pytest.raises(ValueError):
        maximum_path(log_attn, torch.tensor([5, 3]), torch.tensor([10, 7]))


def test_beta_binomial_prior():
    logp = beta_binomial_log_prior(torch.tensor([5, 3]), torch.tensor([20, 9]), 6, 24)
    p = logp.exp()
    torch.testing.assert_close(p[0, :20, :5].sum(-1), torch.ones(20), atol=1e-5, rtol=0)
    torch.testing.assert_close(p[1, :9, :3].sum(-1), torch.ones(9), atol=1e-5, rtol=0)
    assert (logp[0, 20:] == 0).all() and (logp[1, :, 3:] == 0).all()
    peaks = p[0, :20, :5].argmax(-1)
    assert peaks[0] == 0 and peaks[-1] == 4 and (peaks.diff() >= 0).all()  # a diagonal band
    one = beta_binomial_log_prior(torch.tensor([1]), torch.tensor([4]), 1, 4)
    assert torch.allclose(one, torch.zeros_like(one))


def test_aligner_outputs_and_losses():
    torch.manual_seed(0)
    al = Aligner(AlignerConfig(attention_channels=8), text_channels=6, n_mels=5)
    text_lengths, mel_lengths = torch.tensor([4, 2]), torch.tensor([10, 6])
    out = al(torch.randn(2, 4, 6), torch.randn(2, 5, 10), text_lengths, mel_lengths)
    assert out.log_attn.shape == out.attn_soft.shape == out.attn_logprob.shape == (2, 10, 4)
    torch.testing.assert_close(out.attn_soft[1, :6].sum(-1), torch.ones(6))
    assert (out.attn_soft[1, 6:] == 0).all() and (out.attn_soft[1, :, 2:] == 0).all()
    ctc = forward_sum_loss(out.attn_logprob, text_lengths, mel_lengths)
    hard = maximum_path(out.log_attn, text_lengths, mel_lengths)
    binl = binarization_loss(hard, out.log_attn)
    assert torch.isfinite(ctc) and ctc > 0 and torch.isfinite(binl) and binl > 0
    (ctc + binl).backward()
    assert all(torch.isfinite(p.grad).all() for p in al.parameters())


def test_forward_sum_prefers_monotonic_alignments():
    t, n = 12, 3
    diag = torch.full((1, t, n), -10.0)
    for i in range(t):
        diag[0, i, i * n // t] = 10.0
    anti = diag.flip(-1)
    lengths, mels = torch.tensor([n]), torch.tensor([t])
    assert forward_sum_loss(diag, lengths, mels) < 0.5 < forward_sum_loss(anti, lengths, mels)
    # fewer frames than phonemes cannot align: contributes 0 instead of inf
    assert forward_sum_loss(torch.zeros(1, 2, 4), torch.tensor([4]), torch.tensor([2])) == 0


def test_binarization_loss_hand_example():
    soft = torch.tensor([[[0.5, 0.5], [0.25, 0.75]]])
    hard = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]])
    expected = -(np.log(0.5) + np.log(0.75)) / 2
    assert binarization_loss(hard, soft.log()).item() == pytest.approx(expected)

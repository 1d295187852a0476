import numpy as np
import pytest

from prodiff_tts.data.dataset import LengthBucketBatchSampler, collate
from prodiff_tts.data.ljspeech import CorpusError, read_metadata
from prodiff_tts.data.prepare import assign_splits


def write_corpus(root, rows: bytes):
    (root / "wavs").mkdir(parents=True)
    (root / "metadata.csv").write_bytes(rows)
    return root


def test_metadata_rows_and_problems(tmp_path):
    rows = "a|Hello there.|Hello there.\nb|Two columns only\n|no id|x\nc\na|dup|dup\n".encode() + b"d|caf\xe9 bad|x\n"
    utts, problems = read_metadata(write_corpus(tmp_path, rows))
    assert [u.id for u in utts] == ["a", "b"]
    assert utts[1].normalized_text == "Two columns only"  # missing 3rd column falls back to the raw text
    assert utts[0].wav_path == tmp_path / "wavs" / "a.wav"
    reasons = {p.reason for p in problems}
    assert reasons == {"empty id or text", "missing text column", "duplicate id", "not valid UTF-8"}


def test_wrong_layout_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match="metadata.csv not found"):
        read_metadata(tmp_path)
    (tmp_path / "metadata.csv").write_text("a|b|c\n")
    with pytest.raises(CorpusError, match="wavs"):
        read_metadata(tmp_path)


def test_split_is_deterministic_and_order_independent():
    ids = [f"X-{i:04d}" for i in range(500)]
    a = assign_splits(ids, val_size=20, test_size=30, seed="s")
    b = assign_splits(list(reversed(ids)), val_size=20, test_size=30, seed="s")
    assert a == b
    assert sum(v == "test" for v in a.values()) == 30 and sum(v == "val" for v in a.values()) == 20
    # adding utterances moves few existing ones between splits
    c = assign_splits(ids + [f"Y-{i}" for i in range(10)], val_size=20, test_size=30, seed="s")
    assert sum(a[i] != c[i] for i in ids) <= 4


def test_bucket_sampler_covers_everything_with_similar_lengths():
    rng = np.random.default_rng(0)
    lengths = rng.integers(50, 1000, size=203)
    s = LengthBucketBatchSampler(lengths, batch_size=8, bucket_batches=4, seed=1)
    batches = list(s)
    assert sorted(i for b in batches for i in b) == list(range(203))
    assert len(batches) == len(s)
    spread = np.mean([lengths[b].max() - lengths[b].min() for b in batches])
    assert spread < 0.5 * (lengths.max() - lengths.min())
    s.set_epoch(1)
    assert list(s) != batches


def test_bucket_sampler_shards_across_ranks_evenly():
    lengths = list(range(1, 51))
    shards = [list(LengthBucketBatchSampler(lengths, 4, num_replicas=3, rank=r, seed=0)) for r in range(3)]
    assert len({len(s) for s in shards}) == 1
    seen = {i for s in shards for b in s for i in b}
    assert seen == set(range(50))


def test_collate_pads():
    import torch

    items = [
        {"id": "a", "phonemes": torch.tensor([3, 4]), "mel": torch.ones(80, 5), "pitch": torch.ones(5),
         "energy": torch.ones(5), "voiced": torch.ones(5, dtype=torch.bool)},
        {"id": "b", "phonemes": torch.tensor([5, 6, 7]), "mel": torch.ones(80, 3), "pitch": torch.ones(3),
         "energy": torch.ones(3), "voiced": torch.ones(3, dtype=torch.bool)},
    ]
    b = collate(items)
    assert b["phonemes"].tolist() == [[3, 4, 0], [5, 6, 7]]
    assert b["mel"].shape == (2, 80, 5) and b["mel"][1, :, 3:].abs().sum() == 0
    assert b["mel_lengths"].tolist() == [5, 3] and b["phoneme_lengths"].tolist() == [2, 3]
    assert not b["voiced"][1, 3:].any()

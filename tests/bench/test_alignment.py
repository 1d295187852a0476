import pytest

from prodiff_tts.bench.alignment import word_boundary_errors, word_end_times
from prodiff_tts.checkpoints import load_teacher_checkpoint

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def test_word_end_times_from_phoneme_durations():
    # "hi , you ." -> phonemes HH AY1 | , | Y UW1 | .
    durations = [2, 3, 4, 1, 2, 5]
    word_index = [0, 0, -1, 1, 1, -1]
    assert word_end_times(durations, word_index, 0.01) == pytest.approx([0.05, 0.12])


@pytest.mark.slow
def test_learned_alignment_against_festival_word_ends(trained_tiny, prepared_tiny):
    model, _ = load_teacher_checkpoint(trained_tiny / "checkpoints" / "last.ckpt")
    r = word_boundary_errors(model, prepared_tiny, DATA / "ljs_tiny" / "alignments", split="train")
    assert r["utterances"] >= 10 and r["words"] > r["utterances"]
    assert 0 <= r["median_ms"] and 0 <= r["within_20ms"] <= r["within_50ms"] <= 1

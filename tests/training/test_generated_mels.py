"""`tts generate-mels`: teacher-forced mels of a voice on its corpus, paired with the recordings for vocoder
fine-tuning."""

from __future__ import annotations

import json

import numpy as np
import pytest

from prodiff_tts.audio import AudioConfig
from prodiff_tts.cli import main
from prodiff_tts.data.dataset import read_manifest
from prodiff_tts.data.features import load_features
from prodiff_tts.training.audio_data import VocoderDataModule
from prodiff_tts.training.generated_mels import generate_mels


def test_one_mel_per_recording_frame_aligned_and_resumable(tiny_bundle, prepared_tiny, tmp_path):
    out = tmp_path / "mels"
    summary = generate_mels(tiny_bundle, prepared_tiny, out, steps=4, splits=("train", "val"), batch_size=3)
    rows = read_manifest(prepared_tiny / "manifest.jsonl")
    rows = [r for r in rows if r["split"] in ("train", "val")]
    assert summary["written"] == len(rows) and summary["kept"] == 0 and summary["denoiser"] == "teacher"
    for r in rows:
        mel = np.load(out / f"{r['id']}.npy")
        ref = load_features(prepared_tiny / r["feature"]).mel
        assert mel.dtype == np.float32 and mel.shape == ref.shape and np.isfinite(mel).all()
        assert abs(float(mel.mean()) - float(ref.mean())) < 3.0  # denormalized: the recording's log-mel scale
    assert json.loads((out / "generated_mels.json").read_text())["steps"] == 4
    first = np.load(out / f"{rows[0]['id']}.npy")
    assert generate_mels(tiny_bundle, prepared_tiny, out, steps=4, splits=("train", "val"))["kept"] == len(rows)
    again = generate_mels(tiny_bundle, prepared_tiny, out, steps=4, splits=("train", "val"), batch_size=3,
                          overwrite=True)
    assert again["written"] == len(rows) and np.array_equal(np.load(out / f"{rows[0]['id']}.npy"), first)
    # the vocoder's paired data accepts them: same frame count as each recording
    dm = VocoderDataModule.from_manifest(prepared_tiny / "manifest.jsonl", mel_dir=out, audio_config=AudioConfig(),
                                         segment_size=2048, batch_size=2, val_clips=1)
    dm.setup("fit")
    item = dm.train_dataloader().dataset[0]
    assert item["mel"].shape == (80, 2048 // 256) and item["wav"].shape == (2048,)


def test_command_and_its_errors(tiny_bundle, prepared_tiny, tmp_path, capsys):
    out = tmp_path / "mels"
    assert main(["generate-mels", str(tiny_bundle), str(prepared_tiny), str(out), "--splits", "test"]) == 0
    assert "wrote 2 mels" in capsys.readouterr().out
    cases = [
        ([str(tiny_bundle), str(tmp_path), str(out)], "not a `tts prepare` output directory"),
        ([str(tiny_bundle), str(prepared_tiny), str(out), "--steps", "3"], "--steps 3 is not supported"),
        ([str(tiny_bundle), str(prepared_tiny), str(out), "--splits", "nosuch"], "no 'nosuch' items"),
    ]
    for args, message in cases:
        assert main(["generate-mels", *args]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err


@pytest.mark.parametrize("damage", ["vocab", "stats", "f0_stats"])
def test_another_corpus_is_refused(tiny_bundle, prepared_tiny, tmp_path, damage):
    import shutil

    data = tmp_path / "prep"
    shutil.copytree(prepared_tiny, data)
    if damage == "vocab":
        vocab = json.loads((data / "vocab.json").read_text())
        vocab["symbols"][-2:] = vocab["symbols"][-1:-3:-1]  # two phonemes swap ids
        (data / "vocab.json").write_text(json.dumps(vocab))
    else:
        stats = json.loads((data / "stats.json").read_text())
        if damage == "stats":
            stats["mel_mean"] = [m + 1.0 for m in stats["mel_mean"]]
        else:  # pitch would be fed in another normalisation
            stats["f0_mean"] += 0.5
        (data / "stats.json").write_text(json.dumps(stats))
    with pytest.raises(ValueError, match="vocabulary" if damage == "vocab" else "statistics"):
        generate_mels(tiny_bundle, data, tmp_path / "mels", splits=("test",))


def test_a_rebuilt_corpus_is_accepted(tiny_bundle, prepared_tiny, tmp_path):
    """Two builds of the joe corpus gave statistics ~1e-4 apart (Piper and the trimming move a few frames):
    the same corpus, rebuilt, is not refused."""
    import shutil

    data = tmp_path / "prep"
    shutil.copytree(prepared_tiny, data)
    stats = json.loads((data / "stats.json").read_text())
    stats["mel_mean"] = [m + 1.2e-4 for m in stats["mel_mean"]]
    stats["f0_mean"] += 1.3e-4
    (data / "stats.json").write_text(json.dumps(stats))
    assert generate_mels(tiny_bundle, data, tmp_path / "mels", steps=4, splits=("test",))["written"] > 0

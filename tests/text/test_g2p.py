"""G2P: CMUdict words, espeak for OOV words, boundaries, word alignment, batching."""

from __future__ import annotations

import pickle

import pytest

from prodiff_tts.text import G2P, SYMBOLS, Phonemized
from prodiff_tts.text.ipa import ipa_to_arpabet
from prodiff_tts.text.symbols import BOUNDARIES, PHONEMES


@pytest.fixture(scope="module")
def g2p() -> G2P:
    return G2P()


def _check_consistent(p: Phonemized) -> None:
    assert len(p.phonemes) == len(p.word_index)
    assert set(p.phonemes) <= set(SYMBOLS)
    for ph, wi in zip(p.phonemes, p.word_index):
        assert (wi == -1) == (ph in BOUNDARIES)
        assert -1 <= wi < len(p.words)
    word_ids = [wi for wi in p.word_index if wi >= 0]
    assert word_ids == sorted(word_ids)  # words appear in order, each contiguous
    assert set(word_ids) == set(range(len(p.words)))  # every word has phonemes


@pytest.mark.parametrize(
    ("word", "phonemes"),
    [
        ("hello", ("HH", "AH0", "L", "OW1")),
        ("world", ("W", "ER1", "L", "D")),
        ("speech", ("S", "P", "IY1", "CH")),
        ("the", ("DH", "AH0")),
        ("don't", ("D", "OW1", "N", "T")),
    ],
)
def test_dictionary_words(g2p: G2P, word: str, phonemes: tuple[str, ...]) -> None:
    p = g2p(word)
    assert p.phonemes == (*phonemes, ".")
    assert p.words == (word,)
    assert p.word_index == (0,) * len(phonemes) + (-1,)


def test_oov_word_goes_through_espeak(g2p: G2P) -> None:
    p = g2p("blorptastic")
    phones = p.phonemes[:-1]
    assert len(phones) >= 8
    assert set(phones) <= set(PHONEMES)
    assert phones[:2] == ("B", "L")
    assert any(ph.endswith("1") for ph in phones)  # espeak's primary stress survives
    assert p.words == ("blorptastic",)


def test_spelled_when_espeak_unavailable() -> None:
    p = G2P(use_espeak=False)("zxq")
    assert p.phonemes[:-1] == ("Z", "IY1", "EH1", "K", "S", "K", "Y", "UW1")


def test_punctuation_becomes_boundaries(g2p: G2P) -> None:
    p = g2p("hello , world ; yes : no ? really !")
    boundaries = [ph for ph, wi in zip(p.phonemes, p.word_index) if wi == -1]
    assert boundaries == [",", "<sp>", "<sp>", "?", "!"]
    _check_consistent(p)


@pytest.mark.parametrize(
    ("text", "last"),
    [("hello world", "."), ("hello world ,", "."), ("hello ?", "?"), ("hello ; ", "."), ("hi !", "!")],
)
def test_final_boundary(g2p: G2P, text: str, last: str) -> None:
    p = g2p(text)
    assert p.phonemes[-1] == last
    assert p.word_index[-1] == -1
    assert p.phonemes.count(last) == 1


def test_repeated_boundaries_collapse(g2p: G2P) -> None:
    p = g2p(", , hello , . ? world , , ,")
    assert p.phonemes[0] == "HH"  # no leading pause
    assert [ph for ph in p.phonemes if ph in BOUNDARIES] == ["?", "."]


def test_word_index_consistent(g2p: G2P) -> None:
    text = "the f b i and nasa , mister blorptastic met zyxwv ."
    p = g2p(text)
    _check_consistent(p)
    assert p.words == ("the", "f", "b", "i", "and", "nasa", "mister", "blorptastic", "met", "zyxwv")
    # letters in a run are letter names: "f b i"
    f_ids = [ph for ph, wi in zip(p.phonemes, p.word_index) if wi == 1]
    assert f_ids == ["EH1", "F"]


def test_letter_a(g2p: G2P) -> None:
    assert g2p("a cat").phonemes[0] == "AH0"  # article
    assert g2p("q and a").phonemes[-2] == "EY1"  # letter


def test_batch_equals_one_by_one() -> None:
    texts = ["hello world .", "the quixotic flibbertigibbet , zorblax !", "", "u s a ?", "zorblax again"]
    batch = G2P().phonemize_batch(texts)
    single = [G2P()(t) for t in texts]
    assert batch == single
    assert batch[2] == Phonemized((), (), ())


def test_all_symbols_in_inventory(g2p: G2P) -> None:
    text = "strange words like xylophonic ngozi pneumatique schadenfreude tsunami bjork , done"
    p = g2p(text)
    assert set(p.phonemes) <= set(SYMBOLS)
    _check_consistent(p)


def test_cache_and_pickle() -> None:
    g = G2P()
    first = g("zorblaxian")
    restored = pickle.loads(pickle.dumps(g))
    assert restored("zorblaxian") == first


@pytest.mark.parametrize(
    ("ipa", "arpabet"),
    [
        ("h ə l ˈoʊ", ("HH", "AH0", "L", "OW1")),
        ("tʃ ˈɜː tʃ", ("CH", "ER1", "CH")),
        ("b ˈʌ ʔ n̩", ("B", "AH1", "T", "AH0", "N")),
        ("f ˈaɪɚ", ("F", "AY1", "ER0")),
        ("ˌɛ k s", ("EH2", "K", "S")),
        ("n ˈʌ t ʃ ɛ l", ("N", "AH1", "T", "SH", "EH0", "L")),
    ],
)
def test_ipa_to_arpabet(ipa: str, arpabet: tuple[str, ...]) -> None:
    assert ipa_to_arpabet(ipa) == arpabet


def test_load_starts_espeak_up_front_and_survives_without_it(monkeypatch) -> None:
    from prodiff_tts.text import espeak

    g = G2P()
    g.load()
    assert g._backend is not None  # espeak ready before the first text
    broken = G2P()

    def unavailable(language: str):
        raise RuntimeError("no espeak-ng here")

    monkeypatch.setattr(espeak, "make_backend", unavailable)
    broken.load()  # noted, not raised
    assert broken("zxq").phonemes[:-1] == ("Z", "IY1", "EH1", "K", "S", "K", "Y", "UW1")  # spelled

"""Offline grapheme-to-phoneme conversion onto the fixed inventory of `symbols.py`.

A user lexicon (`G2P(user_lexicon=...)`, see `user_lexicon.py`) is consulted
first. In-dictionary words take their first CMUdict pronunciation. Out-of-vocabulary
words go through espeak-ng (bundled, see `espeak.py`) in one call per batch,
converted from IPA to ARPAbet with stress, and are cached per `G2P` instance.
If espeak cannot read a word it is spelled letter by letter.

Letters read as letters: single-letter words next to another single letter
("f b i", "p m") use letter names, and so does "a" before a boundary ("plan a .",
"q and a"), where it cannot be the article.

`phonemize_tokens` takes token lists that may also hold `GivenWord`s: words
whose phonemes are already known (inline phonemes, SSML <phoneme>, spelled
characters); they are spliced in as one word each.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from prodiff_tts.text import espeak
from prodiff_tts.text.ipa import ipa_to_arpabet
from prodiff_tts.text.lexicon import LETTER_NAMES, cmudict
from prodiff_tts.text.symbols import PHONEMES, SENTENCE_FINAL, SHORT_PAUSE
from prodiff_tts.text.user_lexicon import Lexicon

_LOG = logging.getLogger(__name__)

_TOKEN = re.compile(r"[a-z']+|[,.?!;:]")
_BOUNDARY = {",": ",", ".": ".", "?": "?", "!": "!", ";": SHORT_PAUSE, ":": SHORT_PAUSE}
# When boundaries pile up the strongest survives ("?" over ".", "." over ",").
_STRENGTH = {",": 1, SHORT_PAUSE: 2, ".": 3, "?": 4, "!": 4}
_PHONEME_SET = frozenset(PHONEMES)


@dataclass(frozen=True)
class Phonemized:
    """Phonemes of one utterance with their words.

    `word_index[i]` is the index into `words` of the word phoneme i belongs to,
    or -1 for a boundary token (punctuation / pause).
    """

    phonemes: tuple[str, ...]
    word_index: tuple[int, ...]
    words: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.phonemes) != len(self.word_index):
            raise ValueError("phonemes and word_index must have the same length")

    def __len__(self) -> int:
        return len(self.phonemes)


@dataclass(frozen=True)
class GivenWord:
    """A word whose phonemes are given: `word` is what word timestamps show."""

    word: str
    phonemes: tuple[str, ...]

    def __post_init__(self) -> None:
        unknown = sorted(set(self.phonemes) - _PHONEME_SET)
        if not self.phonemes or unknown:
            raise ValueError(f"GivenWord {self.word!r} needs phonemes of the inventory, got {self.phonemes}")


def _spell(word: str) -> tuple[str, ...]:
    return tuple(p for ch in word if ch in LETTER_NAMES for p in LETTER_NAMES[ch])


class G2P:
    """Normalized English text -> `Phonemized`.

    Input is the output of `normalize_text` (lowercase words and , . ? ! ; :);
    other characters are ignored. The OOV cache lives on the instance, so two
    instances never share state; pickling drops the espeak handle, which is
    rebuilt lazily (safe for multiprocessing workers).
    """

    user_lexicon: Lexicon | None = None  # also the value for instances pickled before it existed

    def __init__(
        self,
        language: str = "en-us",
        use_espeak: bool = True,
        user_lexicon: Mapping[str, str | tuple[str, ...]] | None = None,
    ) -> None:
        self.language = language
        self.use_espeak = use_espeak
        # Word -> phonemes, before CMUdict and espeak; a plain mapping is validated into a `Lexicon`.
        self.user_lexicon: Lexicon | None = (
            user_lexicon if user_lexicon is None or isinstance(user_lexicon, Lexicon) else Lexicon(user_lexicon)
        )
        self._oov_cache: dict[str, tuple[str, ...]] = {}
        self._backend: Any = None
        self._espeak_broken = False

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_backend"] = None
        return state

    def __call__(self, text: str) -> Phonemized:
        return self.phonemize_batch([text])[0]

    def phonemize(self, text: str) -> Phonemized:
        return self(text)

    # -- words -----------------------------------------------------------------

    def _lookup(self, word: str) -> tuple[str, ...] | None:
        if self.user_lexicon is not None:
            given = self.user_lexicon.get(word)
            if given:
                return tuple(given)
        prons = cmudict().get(word)
        if prons:
            return prons[0]
        return self._oov_cache.get(word)

    def pronounce(self, word: str) -> tuple[str, ...]:
        """Phonemes of one lowercase word (user lexicon, else CMUdict, else espeak, else spelled)."""
        word = word.lower()
        found = self._lookup(word)
        if found is None:
            self._resolve_oov([word])
            found = self._oov_cache[word]
        return found

    def load(self) -> None:
        """Load the pronunciation dictionary and start espeak now rather than on the first text (~1 s),
        so that per-call timings measure synthesis only. Optional; an unusable espeak is only noted."""
        cmudict()
        if self.use_espeak and not self._espeak_broken:
            self._usable_backend()

    def _usable_backend(self) -> bool:
        try:
            self._get_backend()
        except Exception as e:  # no usable espeak: spell instead of failing the whole run
            _LOG.warning("espeak-ng unavailable (%s); out-of-vocabulary words will be spelled", e)
            self._espeak_broken = True
            return False
        return True

    def _get_backend(self) -> Any:
        if self._backend is None:
            self._backend = espeak.make_backend(self.language)
        return self._backend

    def _espeak(self, words: Sequence[str]) -> list[str]:
        """IPA per word; a failing batch is retried word by word so one bad token costs only itself."""
        try:
            return espeak.phonemize_words(self._get_backend(), words)
        except Exception as e:  # espeak is a C library; any failure falls back per word
            if len(words) == 1:
                _LOG.warning("espeak failed on %r (%s); spelling it", words[0], e)
                return [""]
            return [self._espeak([w])[0] for w in words]

    def _resolve_oov(self, words: Sequence[str]) -> None:
        todo = sorted({w for w in words if w not in self._oov_cache})
        if not todo:
            return
        ipas: list[str] = [""] * len(todo)
        if self.use_espeak and not self._espeak_broken and self._usable_backend():
            ipas = self._espeak(todo)
        for word, ipa in zip(todo, ipas):
            phones = tuple(p for p in ipa_to_arpabet(ipa) if p in _PHONEME_SET)
            self._oov_cache[word] = phones or _spell(word)

    # -- utterances ------------------------------------------------------------

    def phonemize_batch(self, texts: Sequence[str]) -> list[Phonemized]:
        """Phonemize many normalized texts with a single espeak call for all their OOV words."""
        return self.phonemize_tokens([split_tokens(t) for t in texts])

    def phonemize_tokens(self, token_lists: Sequence[Sequence[str | GivenWord]]) -> list[Phonemized]:
        """Like `phonemize_batch` on token lists (see `split_tokens`) that may hold `GivenWord`s."""
        oov = [
            tok
            for toks in token_lists
            for tok in toks
            if isinstance(tok, str) and tok not in _BOUNDARY and self._lookup(tok) is None
        ]
        self._resolve_oov(oov)
        return [self._assemble(toks) for toks in token_lists]

    def _user_word(self, tok: str) -> bool:
        return self.user_lexicon is not None and bool(self.user_lexicon.get(tok))

    def _assemble(self, tokens: Sequence[str | GivenWord]) -> Phonemized:
        phonemes: list[str] = []
        index: list[int] = []
        words: list[str] = []
        for k, tok in enumerate(tokens):
            if isinstance(tok, GivenWord):
                word, pron = tok.word, tok.phonemes
            elif tok in _BOUNDARY:
                _push_boundary(phonemes, index, _BOUNDARY[tok])
                continue
            elif _is_letter(tokens, k) and not self._user_word(tok):
                word, pron = tok, LETTER_NAMES[tok]
            else:
                found = self._lookup(tok)
                word, pron = tok, found if found is not None else self.pronounce(tok)
            if not pron:
                continue
            phonemes.extend(pron)
            index.extend([len(words)] * len(pron))
            words.append(word)
        if not words:
            return Phonemized((), (), ())
        if phonemes[-1] not in SENTENCE_FINAL:
            if index[-1] == -1:
                phonemes[-1] = "."  # a trailing comma or pause becomes the sentence end
            else:
                phonemes.append(".")
                index.append(-1)
        return Phonemized(tuple(phonemes), tuple(index), tuple(words))


def split_tokens(text: str) -> list[str]:
    """Tokens of a normalized text: words (apostrophes trimmed, letters required) and , . ? ! ; : marks."""
    out = []
    for tok in _TOKEN.findall(text.lower()):
        if tok not in _BOUNDARY:
            tok = tok.strip("'")
            if not tok:
                continue
        out.append(tok)
    return out


def _is_letter(tokens: Sequence[str | GivenWord], k: int) -> bool:
    """Whether the one-letter word tokens[k] is read as a letter name (see module doc)."""
    tok = tokens[k]
    if not isinstance(tok, str) or len(tok) != 1:
        return False
    # A given word next to a letter counts as a word ("a" before it is the article).
    prev = tokens[k - 1] if k > 0 else ""
    nxt = tokens[k + 1] if k + 1 < len(tokens) else ""
    prev = prev if isinstance(prev, str) else "<given>"
    nxt = nxt if isinstance(nxt, str) else "<given>"
    if (len(prev) == 1 and prev not in _BOUNDARY) or (len(nxt) == 1 and nxt not in _BOUNDARY):
        return True
    return tok == "a" and (nxt == "" or nxt in _BOUNDARY)


def _push_boundary(phonemes: list[str], index: list[int], mark: str) -> None:
    if not phonemes:
        return  # nothing to pause after
    if index[-1] == -1:
        if _STRENGTH[mark] > _STRENGTH[phonemes[-1]]:
            phonemes[-1] = mark
        return
    phonemes.append(mark)
    index.append(-1)

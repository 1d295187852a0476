"""English text frontend: normalization, G2P onto a fixed ARPAbet inventory, vocabulary,
and pronunciation control (inline [[PHONEMES]], SSML-lite, user lexicons; docs/text.md).

Nothing is loaded at import: CMUdict and espeak-ng are opened on first use.
"""

from prodiff_tts.text.errors import (
    LexiconError,
    MarkupError,
    MarkupWarning,
    PronunciationError,
    UnreadableCharactersWarning,
    UnspeakableTextError,
)
from prodiff_tts.text.frontend import TextFrontend
from prodiff_tts.text.g2p import G2P, GivenWord, Phonemized
from prodiff_tts.text.markup import Chunk, Sentence, parse_markup
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.render import RenderedSentence
from prodiff_tts.text.sentences import split_sentences
from prodiff_tts.text.symbols import PAD, SYMBOLS, Vocab
from prodiff_tts.text.user_lexicon import Lexicon

__all__ = [
    "G2P",
    "PAD",
    "SYMBOLS",
    "Chunk",
    "GivenWord",
    "Lexicon",
    "LexiconError",
    "MarkupError",
    "MarkupWarning",
    "Phonemized",
    "PronunciationError",
    "RenderedSentence",
    "Sentence",
    "TextFrontend",
    "UnreadableCharactersWarning",
    "UnspeakableTextError",
    "Vocab",
    "normalize_text",
    "parse_markup",
    "split_sentences",
]

"""English text frontend: normalization, G2P onto a fixed ARPAbet inventory, vocabulary.

Nothing is loaded at import: CMUdict and espeak-ng are opened on first use.
"""

from prodiff_tts.text.errors import UnreadableCharactersWarning, UnspeakableTextError
from prodiff_tts.text.frontend import TextFrontend
from prodiff_tts.text.g2p import G2P, Phonemized
from prodiff_tts.text.normalize import normalize_text
from prodiff_tts.text.sentences import split_sentences
from prodiff_tts.text.symbols import PAD, SYMBOLS, Vocab

__all__ = [
    "G2P",
    "PAD",
    "SYMBOLS",
    "Phonemized",
    "TextFrontend",
    "UnreadableCharactersWarning",
    "UnspeakableTextError",
    "Vocab",
    "normalize_text",
    "split_sentences",
]

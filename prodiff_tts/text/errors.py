"""Errors and warnings of the text frontend."""

from __future__ import annotations


class UnspeakableTextError(ValueError):
    """The text has nothing an English voice can say (empty, only punctuation or emoji)."""


class UnreadableCharactersWarning(UserWarning):
    """Some characters (emoji, CJK, Cyrillic, control characters) were dropped."""


class PronunciationError(ValueError):
    """A given pronunciation uses symbols outside the ARPAbet inventory (`symbols.PHONEMES`)."""


class MarkupError(ValueError):
    """Malformed SSML or inline markup (unclosed tag, bad attribute value, unclosed [[)."""


class LexiconError(ValueError):
    """A user lexicon file that cannot be read (bad line, unknown phoneme, duplicate word)."""


class MarkupWarning(UserWarning):
    """SSML that is ignored: an unknown tag (its text is kept) or an unsupported attribute."""

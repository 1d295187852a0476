"""Errors and warnings of the text frontend."""

from __future__ import annotations


class UnspeakableTextError(ValueError):
    """The text has nothing an English voice can say (empty, only punctuation or emoji)."""


class UnreadableCharactersWarning(UserWarning):
    """Some characters (emoji, CJK, Cyrillic, control characters) were dropped."""

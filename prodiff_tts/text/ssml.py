"""SSML-lite -> markup events (`markup.py` groups them into sentences).

Supported (see docs/text.md):
  <speak>                   the root (required); xmlns and xml:lang are ignored
  <p>, <s>                  paragraph / sentence: a unit boundary, no extra silence
  <break time="500ms"/>     silence: "ms" or "s", at most MAX_BREAK_SECONDS
  <break strength="weak"/>  silence of BREAK_STRENGTHS seconds (no attribute: medium)
  <say-as interpret-as="characters|cardinal|ordinal|date|telephone" [format="mdy"]>
                            (aliases: spell-out, verbatim, digits -> characters; number -> cardinal)
  <sub alias="...">         the alias is read instead of the content
  <phoneme alphabet="arpabet" ph="HH AH0 L OW1">hello</phoneme>
                            alphabet arpabet (default) or ipa; the content is the word shown
  <prosody rate="slow">     rate per unit: x-slow .. x-fast (RATE_WORDS), "80%", "+20%", "1.2";
                            nested prosody: the innermost rate wins (percentages are of the default)

Inline ``[[PHONEMES]]`` work inside SSML text too. Unknown tags, say-as kinds,
phoneme alphabets and prosody attributes are dropped with a `MarkupWarning`
(once per name and call); their text is kept. Malformed XML, a missing
required attribute or a bad value is a `MarkupError` naming it. DOCTYPE and
entity declarations are refused (no entity expansion of untrusted input).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from prodiff_tts.text.errors import MarkupError
from prodiff_tts.text.ipa import ipa_to_arpabet
from prodiff_tts.text.units import (
    AtomEvent,
    BoundaryEvent,
    BreakEvent,
    Chunk,
    Event,
    inline_events,
)
from prodiff_tts.text.phonemes import parse_pronunciation

MAX_BREAK_SECONDS = 10.0
# Seconds of silence per <break strength> (the values of Microsoft's SSML service).
BREAK_STRENGTHS: dict[str, float] = {
    "none": 0.0, "x-weak": 0.25, "weak": 0.5, "medium": 0.75, "strong": 1.0, "x-strong": 1.25,
}
RATE_WORDS: dict[str, float] = {
    "x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.25, "x-fast": 1.5,
}
MIN_RATE, MAX_RATE = 0.25, 4.0
_SAY_AS_ALIASES = {
    "characters": "characters", "spell-out": "characters", "verbatim": "characters", "digits": "characters",
    "cardinal": "cardinal", "number": "cardinal", "ordinal": "ordinal", "date": "date",
    "telephone": "telephone",
}
_DATE_FORMATS = re.compile(r"^(?:mdy|dmy|ymd|ydm|md|dm|ym|my|y|m|d)$")
_MAX_DEPTH = 64

_TIME = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*$", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*([+-]?)(\d+(?:\.\d*)?|\.\d+)\s*%\s*$")
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*$")
_FORBIDDEN = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)


def _local(tag: object) -> str:
    return str(tag).rsplit("}", 1)[-1].lower()


def break_seconds(element: ET.Element) -> float:
    """Seconds of silence of a <break> element (time wins over strength)."""
    time = element.get("time")
    if time is not None:
        m = _TIME.match(time)
        if not m:
            raise MarkupError(f"<break time={time!r}>: expected a duration such as '500ms' or '1.5s'")
        seconds = float(m.group(1)) / (1000.0 if m.group(2).lower() == "ms" else 1.0)
        if seconds > MAX_BREAK_SECONDS:
            raise MarkupError(f"<break time={time!r}> is longer than the maximum of {MAX_BREAK_SECONDS:g} s")
        return seconds
    strength = element.get("strength", "medium").strip().lower()
    if strength not in BREAK_STRENGTHS:
        raise MarkupError(f"<break strength={strength!r}>: expected one of {', '.join(BREAK_STRENGTHS)}")
    return BREAK_STRENGTHS[strength]


def parse_rate(value: str) -> float:
    """A <prosody rate> value -> multiplier of the speaking rate (1.0 = normal)."""
    v = value.strip().lower()
    if v in RATE_WORDS:
        return RATE_WORDS[v]
    m = _PERCENT.match(v)
    if m:
        pct = float(m.group(2)) / 100.0
        rate = 1.0 + pct if m.group(1) == "+" else 1.0 - pct if m.group(1) == "-" else pct
    elif _NUMBER.match(v):
        rate = float(v)
    else:
        words = ", ".join(RATE_WORDS)
        raise MarkupError(f"<prosody rate={value!r}>: expected {words}, a percentage ('80%', '+20%') or a number")
    if not MIN_RATE <= rate <= MAX_RATE:
        raise MarkupError(f"<prosody rate={value!r}> is outside {MIN_RATE:g}-{MAX_RATE:g} times the normal rate")
    return rate


class _Walker:
    """Depth-first walk of the SSML tree that appends events."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.warnings: dict[str, str] = {}  # key -> message, first one per key

    def warn(self, key: str, message: str) -> None:
        self.warnings.setdefault(key, message)

    def text(self, text: str | None, rate: float) -> None:
        if text:
            self.events.extend(inline_events(text, rate))

    def children(self, element: ET.Element, rate: float, depth: int) -> None:
        self.text(element.text, rate)
        for child in element:
            self.visit(child, rate, depth + 1)
            self.text(child.tail, rate)

    def visit(self, element: ET.Element, rate: float, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise MarkupError(f"SSML nested deeper than {_MAX_DEPTH} elements")
        tag = _local(element.tag)
        if tag == "speak":
            self.children(element, rate, depth)
        elif tag in ("p", "s"):
            self.events.append(BoundaryEvent())
            self.children(element, rate, depth)
            self.events.append(BoundaryEvent())
        elif tag == "break":
            self.events.append(BreakEvent(break_seconds(element)))
        elif tag == "prosody":
            for attr in element.attrib:
                if _local(attr) != "rate":
                    self.warn(f"prosody@{_local(attr)}", f"SSML <prosody {_local(attr)}> is not supported; ignored")
            new_rate = parse_rate(element.attrib["rate"]) if "rate" in element.attrib else rate
            self.children(element, new_rate, depth)
        elif tag == "say-as":
            self.say_as(element, rate)
        elif tag == "sub":
            alias = element.get("alias")
            if alias is None:
                raise MarkupError("<sub> needs an alias attribute: <sub alias=\"World Wide Web\">WWW</sub>")
            if alias.strip():
                self.events.append(AtomEvent(Chunk(alias), rate))
        elif tag == "phoneme":
            self.phoneme(element, rate)
        else:
            self.warn(tag, f"SSML <{tag}> is not supported; its text is read without it")
            self.children(element, rate, depth)

    def say_as(self, element: ET.Element, rate: float) -> None:
        kind = element.get("interpret-as")
        if kind is None:
            raise MarkupError(
                "<say-as> needs an interpret-as attribute (characters, cardinal, ordinal, date, telephone)"
            )
        content = "".join(element.itertext())
        if kind.strip().lower() not in _SAY_AS_ALIASES:
            self.warn(f"say-as={kind}", f"SSML <say-as interpret-as={kind!r}> is not supported; read as plain text")
            self.text(content, rate)
            return
        fmt = element.get("format")
        if fmt is not None and not _DATE_FORMATS.match(fmt.strip().lower()):
            raise MarkupError(f"<say-as format={fmt!r}>: expected a date format such as mdy, dmy, ymd, md or y")
        if content.strip():
            chunk = Chunk(content.strip(), say_as=_SAY_AS_ALIASES[kind.strip().lower()],
                          format=fmt.strip().lower() if fmt else None)
            self.events.append(AtomEvent(chunk, rate))

    def phoneme(self, element: ET.Element, rate: float) -> None:
        content = " ".join("".join(element.itertext()).split())
        ph = element.get("ph")
        if ph is None:
            raise MarkupError(f"<phoneme> needs a ph attribute with the pronunciation (content {content!r})")
        alphabet = (element.get("alphabet") or "arpabet").strip().lower()
        if alphabet in ("arpabet", "x-arpabet", "cmu"):
            phonemes = parse_pronunciation(ph)
        elif alphabet == "ipa":
            phonemes = ipa_to_arpabet(ph)
            if not phonemes:
                raise MarkupError(f"<phoneme alphabet=\"ipa\" ph={ph!r}>: no phonemes recognized")
        else:
            self.warn(f"alphabet={alphabet}", f"SSML <phoneme alphabet={alphabet!r}> is not supported "
                                              "(use arpabet or ipa); the content is read instead")
            self.text(content, rate)
            return
        self.events.append(AtomEvent(Chunk(content or " ".join(ph.split()), phonemes=phonemes), rate))


def ssml_events(text: str) -> tuple[list[Event], list[str]]:
    """Parse an SSML document (root <speak>) into markup events, and the messages of the
    `MarkupWarning`s to issue (one per unknown tag, say-as kind, alphabet or attribute)."""
    if _FORBIDDEN.search(text):
        raise MarkupError("SSML must not contain DOCTYPE or ENTITY declarations")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        line, column = getattr(e, "position", (0, 0))
        reason = str(e).split(":", 1)[0]
        lines = text.splitlines() or [""]
        near = lines[line - 1][max(0, column - 1) : column + 1] if 0 < line <= len(lines) else ""
        escape = ("&" in near or "<" in near) and "well-formed" in reason
        hint = " (write a literal & as &amp; and < as &lt;)" if escape else ""
        raise MarkupError(f"malformed SSML: {reason} at line {line}, column {column + 1}{hint}") from None
    if _local(root.tag) != "speak":
        raise MarkupError(f"SSML must have <speak> as its root element, got <{_local(root.tag)}>")
    walker = _Walker()
    walker.visit(root, 1.0, 0)
    return walker.events, list(walker.warnings.values())

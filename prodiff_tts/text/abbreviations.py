"""Abbreviations, titles and dotted initialisms -> words.

An abbreviation's period is consumed; when that period also ends the sentence
(end of text, or a capitalised word follows "Inc." / "etc." / "Main St.") a
"." is put back so the sentence boundary survives.

"St." and "Dr." are read from context: before a capitalised word they are
titles ("St. Louis" -> saint, "Dr. Smith" -> doctor); elsewhere they are
street names ("Main St." -> street, "Elm Dr." -> drive). Known limit: "Main
St. Then ..." reads "saint". "Ste." is "sainte" before a name, else "suite".

Weekdays ("Mon.", "Thurs.") and months ("Jan.") are read with their period,
or without it before a date ("Mon, january third"); "the Sun." stays a word.
Address abbreviations (Apt., Bldg., Hwy., ...) are read with their period, and
a few unambiguous ones without it after a name or before a number ("Apt 12").
A compass letter between a house number and a street name is a direction
("5 N. Main St." -> five north main street).
"""

from __future__ import annotations

import re

from prodiff_tts.text.context import period_if_sentence_end, previous_word

# Read only before a capitalised word (a name).
_TITLES = {
    "Mr": "mister", "Mrs": "missus", "Ms": "miz", "Messrs": "messieurs", "Dr": "doctor",
    "Prof": "professor", "Gen": "general", "Capt": "captain", "Lt": "lieutenant",
    "Sgt": "sergeant", "Col": "colonel", "Maj": "major", "Adm": "admiral", "Cmdr": "commander",
    "Rev": "reverend", "Hon": "honorable", "Gov": "governor", "Sen": "senator",
    "Rep": "representative", "Pres": "president", "Fr": "father", "St": "saint",
    "Mt": "mount", "Ft": "fort", "Ste": "sainte",
}
# Read anywhere when written with a period; may end a sentence.
_FINAL = {
    "Jr": "junior", "Sr": "senior", "Inc": "incorporated", "Co": "company", "Ltd": "limited",
    "Corp": "corporation", "Bros": "brothers", "Ave": "avenue", "Blvd": "boulevard",
    "Rd": "road", "St": "street", "Dr": "drive", "etc": "et cetera", "Mr": "mister",
    "Mrs": "missus", "Ms": "miz", "Prof": "professor",
    "Jan": "january", "Feb": "february", "Mar": "march", "Apr": "april",
    "Jun": "june", "Jul": "july", "Aug": "august", "Sep": "september", "Sept": "september",
    "Oct": "october", "Nov": "november", "Dec": "december",
    # addresses
    "Apt": "apartment", "Ste": "suite", "Bldg": "building", "Rm": "room", "Hwy": "highway",
    "Ln": "lane", "Ct": "court", "Pl": "place", "Sq": "square", "Pkwy": "parkway", "Cir": "circle",
    "Ter": "terrace", "Rte": "route", "Hts": "heights", "Ctr": "center", "Fwy": "freeway",
    "Expy": "expressway",
}
# Read anywhere when written with a period; never end a sentence ("Smith vs. Jones").
_INNER = {
    "vs": "versus", "approx": "approximately", "Approx": "approximately", "Dept": "department",
    "dept": "department", "Univ": "university", "Fig": "figure", "fig": "figure",
    "Vol": "volume", "vol": "volume", "Ch": "chapter", "ch": "chapter", "est": "established",
    "Est": "established",
}
# Recognised without a period too (British style "Mr Smith", "Apt 12").
_BARE = {
    "vs": "versus", "etc": "et cetera", "Mr": "mister", "Mrs": "missus",
    "Apt": "apartment", "Bldg": "building", "Hwy": "highway", "Blvd": "boulevard", "Pkwy": "parkway",
}
_WEEKDAYS = {
    "Mon": "monday", "Tue": "tuesday", "Tues": "tuesday", "Wed": "wednesday", "Thu": "thursday",
    "Thur": "thursday", "Thurs": "thursday", "Fri": "friday", "Sat": "saturday", "Sun": "sunday",
}
_MONTH_WORDS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_COMPASS = {"N": "north", "S": "south", "E": "east", "W": "west",
            "NE": "northeast", "NW": "northwest", "SE": "southeast", "SW": "southwest"}
_BARE_TITLES = ("Mr", "Mrs", "Ms", "Messrs", "Dr", "St", "Mt")

_LATIN = (
    (re.compile(r"\b[Ee]\.\s?[Gg]\.(?!\w)"), "for example"),
    (re.compile(r"\b[Ii]\.\s?[Ee]\.(?!\w)"), "that is"),
    (re.compile(r"\b[Aa]\.[Kk]\.[Aa]\.(?!\w)"), "also known as"),
    (re.compile(r"\bPh\.\s?D\.?(?!\w)"), "P H D"),
)


def _alternation(words: dict[str, str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_TITLE_RE = re.compile(
    r"\b(?:(" + _alternation(_TITLES) + r")\.|(" + "|".join(_BARE_TITLES) + r")\b)(?=\s+['\"]?[A-Z])"
)
_FINAL_RE = re.compile(r"\b(" + _alternation(_FINAL) + r")\.")
_INNER_RE = re.compile(r"\b(" + _alternation(_INNER) + r")\.")
_BARE_RE = re.compile(r"\b(" + _alternation(_BARE) + r")\b(?![.'])")
_WEEKDAY_RE = re.compile(
    r"\b(" + _alternation(_WEEKDAYS) + r")(?:\.|\b(?=,?\s+(?:\d|(?:" + _MONTH_WORDS + r")\b)))"
)
_MONTH_AFTER = re.compile(r"\s*,?\s*(?:" + _MONTH_WORDS + r")\b", re.IGNORECASE)
# The numbers are words by now: "5 N. Main St." arrives as "five N. Main St.".
_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\w+teen|\w+ty|hundred|thousand)"
)
_COMPASS_RE = re.compile(
    r"\b(" + _NUMBER_WORD + r"\s+)(" + _alternation(_COMPASS) + r")\.?(?=\s+[A-Z][a-z])"
)
_INITIALISM = re.compile(r"\b(?:[A-Za-z]\.){2,}")
_INITIAL = re.compile(r"\b([A-Z])\.(?=\s+[A-Z])")


def _initialism(m: re.Match[str]) -> str:
    letters = " ".join(m.group(0).replace(".", ""))
    # "the U.S. Army": a capital after an initialism is usually a name, so
    # only the end of the text counts as a sentence end here.
    return letters + period_if_sentence_end(m, capital_ends=False)


def _weekday(m: re.Match[str]) -> str:
    if previous_word(m.string, m.start()).lower() in ("the", "a"):
        return m.group(0)  # "the Sun.", "a Wed."
    name = _WEEKDAYS[m.group(1)]
    if not m.group(0).endswith("."):
        return name
    # "Mon. Jan. 3": a month after the day does not start a new sentence.
    if _MONTH_AFTER.match(m.string, m.end()):
        return name
    return name + period_if_sentence_end(m)


def _initial(m: re.Match[str]) -> str:
    # "J. Smith", "John F. Kennedy": an initial follows the start or another name.
    before = m.string[: m.start()].rstrip()
    prev = previous_word(m.string, m.start())
    after_name = prev[:1].isupper() and not before.endswith((".", "!", "?"))
    after_initial = len(prev) == 1 and prev.isupper()
    if not before or after_name or after_initial:
        return m.group(1)
    return m.group(0)


def expand_abbreviations(text: str) -> str:
    """Titles, e.g./i.e., weekdays, initialisms (U.S. -> u s), addresses and common abbreviations."""
    for pattern, words in _LATIN:
        text = pattern.sub(words, text)
    text = _WEEKDAY_RE.sub(_weekday, text)
    text = _COMPASS_RE.sub(lambda m: m.group(1) + _COMPASS[m.group(2)], text)
    text = _INITIALISM.sub(_initialism, text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m.group(1) or m.group(2)], text)
    text = _FINAL_RE.sub(lambda m: _FINAL[m.group(1)] + period_if_sentence_end(m), text)
    text = _INNER_RE.sub(lambda m: _INNER[m.group(1)], text)
    text = _BARE_RE.sub(lambda m: _BARE[m.group(1)], text)
    return _INITIAL.sub(_initial, text)

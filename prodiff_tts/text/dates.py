"""Clock times, calendar dates, years and decades -> words.

Each rule is a `str -> str` function; `normalize.py` decides the order.

Year heuristic (documented choice): a bare 4-digit number 1100-2099 is read as
a year ("nineteen ninety") only
  * after a year-context word: in, since, by, of, from, until, till, to,
    before, after, during, circa, around, year, born, died, early, late, mid,
    between, through, a season, or a month name;
  * next to a quarter, half or fiscal year: "Q3 2024", "Q4-2023", "H1 2023",
    "FY2025", "2024 Q3";
  * after "b." / "d." / "c." / "ca." (born, died, circa), which are expanded;
  * before AD/BC/BCE/CE, or as a decade ("1990s");
  * in a date or in a year range ("1990-1995", "between 1990 and 1995");
  * in a list after such a year ("in 1990, 1991 and 1992"), when the number
    is not followed by a noun ("in 1990, 1500 people" stays a cardinal).
Years 1000-1099 ("in 1066") are years in the same places, but only when no
lowercase word follows other than a function word ("in 1066 the Normans",
"in 1066," are years; "of 1024 bytes" stays a cardinal).
Anywhere else it is a cardinal ("two thousand twenty one people").
"""

from __future__ import annotations

import re

from prodiff_tts.text import numbers as nw
from prodiff_tts.text.context import period_if_sentence_end, previous_word

MONTHS = {
    "January": "january", "February": "february", "March": "march", "April": "april",
    "May": "may", "June": "june", "July": "july", "August": "august",
    "September": "september", "October": "october", "November": "november",
    "December": "december",
    "Jan": "january", "Feb": "february", "Mar": "march", "Apr": "april", "Jun": "june",
    "Jul": "july", "Aug": "august", "Sep": "september", "Sept": "september",
    "Oct": "october", "Nov": "november", "Dec": "december",
}
_MONTH_BY_NUMBER = (
    "january february march april may june july august september october november december"
).split()
# Longest first so "Sept" wins over "Sep"; capitalised only, so the verb "may" is safe.
_MONTH = "(" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
_DAY = r"(0?[1-9]|[12]\d|3[01])"
_YEAR4 = r"(1\d{3}|20\d{2})"

_YEAR_CONTEXT = frozenset(
    "in since by of from until till to before after during circa around year born died early "
    "late mid between through spring summer autumn fall winter".split()
) | frozenset(m.lower() for m in MONTHS)


def is_year(n: int) -> bool:
    return 1100 <= n <= 2099


def is_early_year(n: int) -> bool:
    """1000-1099: a year only where `_EARLY_YEAR_FOLLOW` also agrees."""
    return 1000 <= n < 1100


# After an early year (1000-1099), what may follow for it to be read as a year.
_EARLY_YEAR_FOLLOW = re.compile(
    r"\s*(?:$|[,.;:!?)\]'\"-]|(?:and|or|the|a|an|when|where|to|until|in|on|at|he|she|it|they|we|was|were)\b|[A-Z])"
)


def _early_year_ok(text: str, end: int) -> bool:
    return _EARLY_YEAR_FOLLOW.match(text, end) is not None


def _ampm(m: re.Match[str], group: int) -> str:
    letter = m.group(group)
    if not letter:
        return ""
    return " a m" if letter.lower() == "a" else " p m"


# ---- clock times -----------------------------------------------------------

_AMPM = r"(?:\s*([AaPp])\.?\s?[Mm]\b\.?)"
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?(?!\d)" + _AMPM + "?")
_HOUR_AMPM = re.compile(r"\b(\d{1,2})" + _AMPM)


def _clock(m: re.Match[str]) -> str:
    hour, minute = int(m.group(1)), int(m.group(2))
    ampm = _ampm(m, 4)
    if hour > 24 or minute > 59 or (ampm and not 1 <= hour <= 12):
        return m.group(0)  # not a clock time (a ratio, a score); left for later rules
    words = nw.cardinal(hour)
    if minute == 0:
        if not ampm:
            words += " o'clock" if 1 <= hour <= 12 else " hundred"
    else:
        words += " " + nw.two_digit(minute)
    if m.group(3) and int(m.group(3)):
        words += f" and {nw.cardinal(int(m.group(3)))} seconds"
    return words + ampm + period_if_sentence_end(m)


def _hour_ampm(m: re.Match[str]) -> str:
    hour = int(m.group(1))
    if not 1 <= hour <= 12:
        return m.group(0)
    return nw.cardinal(hour) + _ampm(m, 2) + period_if_sentence_end(m)


def expand_times(text: str) -> str:
    """7:15 -> seven fifteen; 7:05pm -> seven oh five p m; 12:00 -> twelve o'clock."""
    text = _CLOCK.sub(_clock, text)
    return _HOUR_AMPM.sub(_hour_ampm, text)


# ---- dates -----------------------------------------------------------------

_ISO_DATE = re.compile(r"\b" + _YEAR4 + r"-(0?[1-9]|1[0-2])-" + _DAY + r"\b")
_US_DATE = re.compile(r"\b(0?[1-9]|1[0-2])/" + _DAY + r"/(\d{4}|\d{2})\b")
# Without a year, "10/12" is a date only after a date preposition or a weekday ("on 10/12", "Fri 10/12");
# elsewhere it may be a fraction or "24/7".
_SHORT_DATE = re.compile(
    r"\b(on|by|until|till|since|from|before|after|due|"
    r"mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
    r"\.?,?\s+(0?[1-9]|1[0-2])/" + _DAY + r"\b(?!/)",
    re.IGNORECASE,
)
_MONTH_DAY = re.compile(
    r"\b" + _MONTH + r"\s+" + _DAY + r"(?:st|nd|rd|th)?\b(?:(,?)\s+" + r"(\d{4})\b)?"
)
_DAY_MONTH = re.compile(
    r"\b" + _DAY + r"(?:st|nd|rd|th)?\s+(of\s+)?" + _MONTH + r"(?:,?\s+(\d{4})\b)?"
)
_MONTH_YEAR = re.compile(r"\b" + _MONTH + r",?\s+(\d{4})\b")


def _year_or_number(s: str) -> str:
    n = int(s)
    if len(s) == 4:
        return nw.year(n)
    return "two thousand" if n == 0 else nw.two_digit(n)  # "5/2/21" -> "twenty one"


def _date(month: str, day: str, year: str | None) -> str:
    words = f"{month} {nw.ordinal(int(day))}"
    return f"{words}, {_year_or_number(year)}" if year else words


def _month_day(m: re.Match[str]) -> str:
    month = MONTHS[m.group(1)]
    words = f"{month} {nw.ordinal(int(m.group(2)))}"
    if m.group(4):
        words += f"{m.group(3)} {nw.year(int(m.group(4)))}"
    return words


def _day_month(m: re.Match[str]) -> str:
    day = nw.ordinal(int(m.group(1)))
    month = MONTHS[m.group(3)]
    article = "" if m.group(2) or previous_word(m.string, m.start()).lower() == "the" else "the "
    words = f"{article}{day} of {month}"
    if m.group(4):
        words += f" {nw.year(int(m.group(4)))}"
    return words


def expand_dates(text: str) -> str:
    """2021-05-02, 5/2/2021, on 5/2, May 5th, 2021, 5 May 2021, Jan. 3 and May 2021 -> words.

    Numeric dates are read in US order (month/day) with a pause before the year.
    """
    text = _ISO_DATE.sub(lambda m: _date(_MONTH_BY_NUMBER[int(m.group(2)) - 1], m.group(3), m.group(1)), text)
    text = _US_DATE.sub(lambda m: _date(_MONTH_BY_NUMBER[int(m.group(1)) - 1], m.group(2), m.group(3)), text)
    text = _SHORT_DATE.sub(lambda m: f"{m.group(1)} {_date(_MONTH_BY_NUMBER[int(m.group(2)) - 1], m.group(3), None)}", text)
    text = _MONTH_DAY.sub(_month_day, text)
    text = _DAY_MONTH.sub(_day_month, text)
    return _MONTH_YEAR.sub(lambda m: f"{MONTHS[m.group(1)]} {nw.year(int(m.group(2)))}", text)


# ---- years and decades -----------------------------------------------------

_YEAR_RANGE = re.compile(r"(?<![\d.,-])(\d{4})-(\d{4}|\d{2})(?![\d-])")
_BETWEEN_YEARS = re.compile(r"\b(between|from)\s+(\d{4})\s+(and|to|until|through)\s+(\d{4})\b")
_ERA = re.compile(r"(?<![\d.,])(\d{3,4})\s?(AD|BC|BCE|CE|A\.D\.|B\.C\.)(?![\w])")
_CONTEXT_YEAR = re.compile(r"(?<![\d.,$£€¥-])(\d{4})(?![\d%]|[.,]\d|\s?°)")
_DECADE4 = re.compile(r"(?<![\d.,])(\d{3}0)'?s\b")
_DECADE2 = re.compile(r"(?:'|\b)([1-9]0)'?s\b")


def _year_pair(first: int, last: int, text: str, end: int) -> bool:
    """Whether first..last is a range of years (both ends years, ascending)."""
    if not (is_year(first) or is_early_year(first)) or not (is_year(last) or is_early_year(last)):
        return False
    return last > first and (is_year(first) or _early_year_ok(text, end))


def _year_range(m: re.Match[str]) -> str:
    first, second = int(m.group(1)), m.group(2)
    last = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    if not _year_pair(first, last, m.string, m.end()):
        return m.group(0)
    return f"{nw.year(first)} to {nw.year(last)}"


def _between_years(m: re.Match[str]) -> str:
    a, b = int(m.group(2)), int(m.group(4))
    if not _year_pair(a, b, m.string, m.end()):
        return m.group(0)
    return f"{m.group(1)} {nw.year(a)} {m.group(3)} {nw.year(b)}"


# "b. 1955", "(d. 1066)", "c. 1500": life dates and circa, only before a year.
_LIFE_ABBR = re.compile(r"(?<![\w.])(b|d|c|ca)\.\s?(?=\(?(?:1\d{3}|20\d{2})\b)")
_LIFE_WORDS = {"b": "born ", "d": "died ", "c": "circa ", "ca": "circa "}
# A quarter, half or fiscal year just before or after the number: "Q3 2024", "FY2025", "2024 Q3".
_PERIOD_BEFORE = re.compile(r"\b(?:[Qq][1-4]|H[12]|FY|fy)\s?$")
_PERIOD_AFTER = re.compile(r"\s(?:[Qq][1-4]|H[12])\b")
_PERIOD_JOIN = re.compile(r"\b([Qq][1-4]|H[12])[-/](?=(?:1\d{3}|20\d{2})\b)")  # "Q4-2023"


def _era(m: re.Match[str]) -> str:
    era = " ".join(m.group(2).replace(".", "").lower())
    return f"{nw.year(int(m.group(1)))} {era}" + period_if_sentence_end(m, capital_ends=False)


_LIST_JOIN = re.compile(r"(?:\s*,\s*|\s+)(?:(?:and|or)\s+)?")
_LIST_GOES_ON = re.compile(r"\s*(?:,|and\b|or\b|\.|$)")


def _expand_context_years(text: str) -> str:
    """Years after a context word, and lists of them ("in 1990, 1991 and 1992")."""
    last_year_end = -1

    def repl(m: re.Match[str]) -> str:
        nonlocal last_year_end
        n = int(m.group(1))
        if not is_year(n) and not (is_early_year(n) and _early_year_ok(text, m.end())):
            return m.group(0)
        period = _PERIOD_BEFORE.search(text, max(0, m.start() - 4), m.start()) or _PERIOD_AFTER.match(text, m.end())
        after_context = period is not None or previous_word(text, m.start()).lower() in _YEAR_CONTEXT
        # A list member: joined to the previous year, and not followed by a noun
        # ("in 1990, 1500 people" keeps the cardinal).
        in_list = (
            last_year_end >= 0
            and _LIST_JOIN.fullmatch(text, last_year_end, m.start()) is not None
            and _LIST_GOES_ON.match(text, m.end()) is not None
        )
        if not (after_context or in_list):
            return m.group(0)
        last_year_end = m.end()
        glued = m.start() > 0 and text[m.start() - 1].isalpha()  # "FY2025"
        return (" " if glued else "") + nw.year(n)

    return _CONTEXT_YEAR.sub(repl, text)


def _decade4(m: re.Match[str]) -> str:
    n = int(m.group(1))
    if not 1000 <= n <= 2090:
        return m.group(0)
    return nw.plural(nw.year(n))


def expand_years(text: str) -> str:
    """Year ranges, eras, decades and years in a year context (see module doc)."""
    text = _LIFE_ABBR.sub(lambda m: _LIFE_WORDS[m.group(1)], text)
    text = _PERIOD_JOIN.sub(r"\1 ", text)
    text = _YEAR_RANGE.sub(_year_range, text)
    text = _BETWEEN_YEARS.sub(_between_years, text)
    text = _ERA.sub(_era, text)
    text = _DECADE4.sub(_decade4, text)
    text = _DECADE2.sub(lambda m: nw.plural(nw.cardinal(int(m.group(1)))), text)
    return _expand_context_years(text)

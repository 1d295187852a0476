"""Integers, ordinals, years and decimals as American English words.

Pure string functions, no regexes: the rules that find numbers in text live in
``numeric.py``. American style throughout: no "and" inside numbers
("one hundred five"), hyphens replaced by spaces ("twenty one").
"""

from __future__ import annotations

_ONES = (
    "zero one two three four five six seven eight nine ten eleven twelve thirteen "
    "fourteen fifteen sixteen seventeen eighteen nineteen"
).split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion")
# Beyond the largest scale nobody reads the value; digits are what a listener can follow.
_MAX_CARDINAL = 10 ** (3 * len(_SCALES)) - 1

_ORDINAL_IRREGULAR = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds:
        words += [_ONES[hundreds], "hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        words.append(_TENS[tens])
        if ones:
            words.append(_ONES[ones])
    elif rest or not words:
        words.append(_ONES[rest])
    return words


def digits(s: str) -> str:
    """Read a digit string digit by digit: "007" -> "zero zero seven"."""
    return " ".join(_ONES[int(c)] for c in s if c.isdigit())


def cardinal(n: int) -> str:
    """1234 -> "one thousand two hundred thirty four"; negatives get "minus"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n > _MAX_CARDINAL:
        return digits(str(n))
    if n == 0:
        return "zero"
    groups: list[str] = []
    scale = 0
    while n:
        n, chunk = divmod(n, 1000)
        if chunk:
            words = _below_thousand(chunk)
            if _SCALES[scale]:
                words.append(_SCALES[scale])
            groups.insert(0, " ".join(words))
        scale += 1
    return " ".join(groups)


def integer(s: str) -> str:
    """A digit string as a reader says it: leading zeros mean a code ("007")."""
    s = s.replace(",", "")
    if len(s) > 1 and s.startswith("0"):
        return digits(s)
    return cardinal(int(s))


def ordinal_word(word: str) -> str:
    """Turn the last cardinal word into its ordinal: "twenty" -> "twentieth"."""
    if word in _ORDINAL_IRREGULAR:
        return _ORDINAL_IRREGULAR[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def ordinal(n: int) -> str:
    """103 -> "one hundred third"."""
    words = cardinal(n).split()
    words[-1] = ordinal_word(words[-1])
    return " ".join(words)


def plural(phrase: str) -> str:
    """Pluralise the last word of a number phrase: "nineteen ninety" -> "nineteen nineties"."""
    head, _, last = phrase.rpartition(" ")
    if last.endswith("y"):
        last = last[:-1] + "ies"
    elif last.endswith("x"):
        last += "es"
    else:
        last += "s"
    return f"{head} {last}" if head else last


def two_digit(n: int) -> str:
    """The second half of a year: 5 -> "oh five", 0 -> "hundred", 42 -> "forty two"."""
    if n == 0:
        return "hundred"
    if n < 10:
        return "oh " + _ONES[n]
    return cardinal(n)


def year(n: int) -> str:
    """1990 -> "nineteen ninety", 1905 -> "nineteen oh five", 2005 -> "two thousand five".

    2000-2009 use the "two thousand" reading; 2010 onwards is read in pairs
    ("twenty ten"), which is the common broadcast reading. Values outside
    1000-9999 fall back to the cardinal.
    """
    if not 1000 <= n <= 9999 or n % 1000 < 10:
        return cardinal(n)
    high, low = divmod(n, 100)
    return f"{cardinal(high)} {two_digit(low)}"


def decimal(s: str) -> str:
    """"3.14" -> "three point one four"; ".5" -> "point five"; "0.5" -> "zero point five"."""
    whole, _, frac = s.replace(",", "").partition(".")
    head = integer(whole) + " " if whole else ""
    if not frac:
        return head.strip()
    return f"{head}point {digits(frac)}"


def number(s: str) -> str:
    """An integer or decimal numeral (commas allowed) as words."""
    return decimal(s) if "." in s else integer(s)


_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def fraction(numerator: int, denominator: int) -> str:
    """3/4 -> "three quarters", 1/20 -> "one twentieth"."""
    if denominator in _FRACTION_NAMES:
        one, many = _FRACTION_NAMES[denominator]
    else:
        one = ordinal(denominator)
        many = plural(one)
    return f"{cardinal(numerator)} {one if numerator == 1 else many}"

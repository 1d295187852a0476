"""Money, percentages, units, ordinals, ranges, fractions and plain numbers -> words.

Each rule is a `str -> str` function; `normalize.py` decides the order (dates
and times run first, plain integers last).
"""

from __future__ import annotations

import re

from prodiff_tts.text import numbers as nw
from prodiff_tts.text.context import period_if_sentence_end

# A numeral: 1,234,567.89 / 1234.5 / .5
NUM = r"(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"

# ---- money -----------------------------------------------------------------

# symbol -> (major singular, major plural, minor singular, minor plural)
_CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", "", ""),
}
_CODES = {"USD": "$", "US$": "$", "GBP": "£", "EUR": "€", "JPY": "¥"}
_SCALE_WORDS = {
    "thousand": "thousand", "million": "million", "billion": "billion", "trillion": "trillion",
    "k": "thousand", "K": "thousand", "m": "million", "M": "million", "mn": "million",
    "bn": "billion", "b": "billion", "B": "billion", "tn": "trillion",
}
_SCALE = r"(?:\s?(thousand|million|billion|trillion)\b|(k|K|m|M|mn|bn|b|B|tn)\b)"
_MONEY = re.compile(
    r"(?<![\w$£€¥])([-+])?([$£€¥])\s?(" + NUM + r")(?:(?:\s?-\s?\2?|\s+to\s+\2)(" + NUM + r"))?"
    + _SCALE + "?"
)
_MONEY_CODE = re.compile(r"\b(" + NUM + r")\s?(USD|GBP|EUR|JPY)\b")
_CODE_FIRST = re.compile(r"(?<!\w)(USD|US\$|GBP|EUR|JPY)\s?(?=\d)")
_CENTS = re.compile(r"(?<![\w.])(" + NUM + r")\s?¢")


def _amount(num: str, symbol: str) -> str:
    """Read one amount without a scale word: "5.50" -> "five dollars fifty cents"."""
    major1, major, minor1, minor = _CURRENCIES[symbol]
    whole, _, frac = num.replace(",", "").partition(".")
    if len(frac) > 2 or (frac and not minor):
        return f"{nw.decimal(num)} {major}"
    units = int(whole or "0")
    cents = int(frac.ljust(2, "0")) if frac else 0
    if units == 0 and cents:
        return f"{nw.cardinal(cents)} {minor1 if cents == 1 else minor}"
    words = f"{nw.cardinal(units)} {major1 if units == 1 else major}"
    if cents:
        words += f" {nw.cardinal(cents)} {minor1 if cents == 1 else minor}"
    return words


def _money(m: re.Match[str]) -> str:
    sign = "minus " if m.group(1) == "-" else "plus " if m.group(1) == "+" else ""
    symbol, first, second = m.group(2), m.group(3), m.group(4)
    scale = _SCALE_WORDS.get(m.group(5) or m.group(6) or "", "")
    plural_major = _CURRENCIES[symbol][1]
    if scale:
        span = f"{nw.number(first)} to {nw.number(second)}" if second else nw.number(first)
        return f"{sign}{span} {scale} {plural_major}"
    if second:
        if "." in first or "." in second:
            return f"{sign}{_amount(first, symbol)} to {_amount(second, symbol)}"
        return f"{sign}{nw.number(first)} to {nw.number(second)} {plural_major}"
    return sign + _amount(first, symbol)


def expand_money(text: str) -> str:
    """$5.50 -> five dollars fifty cents; €3.5 million -> three point five million euros."""
    text = _CODE_FIRST.sub(lambda m: _CODES[m.group(1)], text)
    text = _MONEY_CODE.sub(lambda m: _CODES[m.group(2)] + m.group(1), text)
    text = _MONEY.sub(_money, text)
    return _CENTS.sub(lambda m: f"{nw.number(m.group(1))} {'cent' if m.group(1) == '1' else 'cents'}", text)


# ---- percentages, degrees, units -------------------------------------------

_PERCENT = re.compile(r"(?<![\w.])([-+])?(" + NUM + r")\s?%")
_DEGREES = re.compile(r"(?<![\w.])(-)?(" + NUM + r")\s?°\s?([CFK]\b)?")
_FEET_INCHES = re.compile(r"\b(\d+)'\s?(\d{1,2})(?:\"|'')")
_FEET = re.compile(r"\b(\d+)'(?![\w'])")
_SCALE_SUFFIX = re.compile(r"(?<![\w.])(" + NUM + r")\s?(thousand|million|billion|trillion|M|bn)\b")

# unit -> (singular, plural). Case matters: "m" is metres, "M" is million.
_UNITS = {
    "km": ("kilometer", "kilometers"), "m": ("meter", "meters"), "cm": ("centimeter", "centimeters"),
    "mm": ("millimeter", "millimeters"), "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"),
    "mg": ("milligram", "milligrams"), "lb": ("pound", "pounds"), "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"), "mi": ("mile", "miles"), "ft": ("foot", "feet"),
    "yd": ("yard", "yards"), "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "kph": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"), "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"), "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"), "KB": ("kilobyte", "kilobytes"), "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "ms": ("millisecond", "milliseconds"), "sec": ("second", "seconds"), "secs": ("second", "seconds"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
    "hr": ("hour", "hours"), "hrs": ("hour", "hours"), "h": ("hour", "hours"),
    "ml": ("milliliter", "milliliters"), "mL": ("milliliter", "milliliters"), "L": ("liter", "liters"),
    "W": ("watt", "watts"), "kW": ("kilowatt", "kilowatts"), "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"), "V": ("volt", "volts"), "mAh": ("milliamp hour", "milliamp hours"),
    "gal": ("gallon", "gallons"), "qt": ("quart", "quarts"), "tsp": ("teaspoon", "teaspoons"),
    "tbsp": ("tablespoon", "tablespoons"), "yr": ("year", "years"), "yrs": ("year", "years"),
    "wk": ("week", "weeks"), "wks": ("week", "weeks"), "mo": ("month", "months"), "mos": ("month", "months"),
}
_UNIT = re.compile(
    r"(?<![\w.])(-)?(" + NUM + r")\s?("
    + "|".join(re.escape(u) for u in sorted(_UNITS, key=len, reverse=True))
    + r")(?![\w/])(\.)?"
)


# "12 sq ft", "3 sq. m", "2 cu. ft."
_AREA_UNITS = {
    "ft": ("foot", "feet"), "in": ("inch", "inches"), "yd": ("yard", "yards"), "mi": ("mile", "miles"),
    "m": ("meter", "meters"), "km": ("kilometer", "kilometers"), "cm": ("centimeter", "centimeters"),
}
_AREA = re.compile(r"(?<![\w.])(-)?(" + NUM + r")\s?(sq|cu)\.?\s?(ft|in|yd|mi|km|cm|m)\b(\.)?")
# "5 in." is inches only with the period after a number ("5 in a row" stays).
_INCHES = re.compile(r"(?<![\w.])(" + NUM + r")\s?in\.(?!\w)")


def _singular(num: str) -> bool:
    return num == "1"


def _unit(m: re.Match[str]) -> str:
    sign = "minus " if m.group(1) else ""
    one, many = _UNITS[m.group(3)]
    words = f"{sign}{nw.number(m.group(2))} {one if _singular(m.group(2)) else many}"
    # "5 ft. tall": the period belongs to the unit unless it ends the sentence.
    return words + period_if_sentence_end(m, capital_ends=True)


def _area(m: re.Match[str]) -> str:
    sign = "minus " if m.group(1) else ""
    one, many = _AREA_UNITS[m.group(4)]
    power = "square" if m.group(3) == "sq" else "cubic"
    words = f"{sign}{nw.number(m.group(2))} {power} {one if _singular(m.group(2)) else many}"
    return words + period_if_sentence_end(m, capital_ends=True)


def _inches(m: re.Match[str]) -> str:
    words = f"{nw.number(m.group(1))} {'inch' if _singular(m.group(1)) else 'inches'}"
    return words + period_if_sentence_end(m, capital_ends=True)


def _degrees(m: re.Match[str]) -> str:
    sign = "minus " if m.group(1) else ""
    scale = {"C": " celsius", "F": " fahrenheit", "K": " kelvin"}.get((m.group(3) or "")[:1], "")
    unit = "degree" if _singular(m.group(2)) else "degrees"
    return f"{sign}{nw.number(m.group(2))} {unit}{scale}"


def _feet(n: str) -> str:
    return f"{nw.integer(n)} {'foot' if n == '1' else 'feet'}"


def expand_measures(text: str) -> str:
    """Percentages, degrees, feet/inches, square/cubic units, units (5 km, 60 Hz) and 5M / 1.2 billion."""
    text = _PERCENT.sub(lambda m: ("minus " if m.group(1) == "-" else "") + nw.number(m.group(2)) + " percent", text)
    text = _DEGREES.sub(_degrees, text)
    text = _FEET_INCHES.sub(
        lambda m: f"{_feet(m.group(1))} {nw.integer(m.group(2))} {'inch' if m.group(2) == '1' else 'inches'}", text
    )
    text = _FEET.sub(lambda m: _feet(m.group(1)), text)
    text = _AREA.sub(_area, text)
    text = _INCHES.sub(_inches, text)
    text = _UNIT.sub(_unit, text)
    return _SCALE_SUFFIX.sub(lambda m: f"{nw.number(m.group(1))} {_SCALE_WORDS[m.group(2)]}", text)


# ---- ordinals, ranges, signs, fractions, plain numbers -----------------------

_ORDINAL = re.compile(r"\b(\d{1,3}(?:,\d{3})+|\d+)(st|nd|rd|th|ST|ND|RD|TH)\b")
_NUMBER_SIGN = re.compile(r"(?<!\w)#\s?(?=\d)")
_NUMBER_ABBR = re.compile(r"\b(No|no|NO|Nos|nos)\.\s?(?=\d)")
_PAGE_ABBR = re.compile(r"\b(pp?)\.\s?(?=\d)")
_RANGE = re.compile(r"([$£€¥]?)(\d[\d,.]*)-(?=\d)")
_NEGATIVE = re.compile(r"(?<![\w.,)])-(?=\.?\d)")
_PLUS = re.compile(r"(?<![\w.,)])\+(?=\.?\d)")
_MIXED_FRACTION = re.compile(r"\b(\d+)\s+(\d+)/(\d+)\b")
_FRACTION = re.compile(r"(?<![\d/])(\d+)/(\d+)(?![\d/])")
_TIMES = re.compile(r"(?<=\d)\s?[x×]\s?(?=\d)")
_MULTIPLIER = re.compile(r"\b(\d+)x\b")
_LETTER_DIGIT = re.compile(r"(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
_DECIMAL = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)+")
_INTEGER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|\d+")

_FRACTION_DENOMINATORS = frozenset(range(2, 11)) | {16, 32, 64, 100}


def _proper_fraction(num: str, den: str) -> str | None:
    a, b = int(num), int(den)
    if 1 <= a < b and b in _FRACTION_DENOMINATORS:
        return nw.fraction(a, b)
    return None


def _mixed_fraction(m: re.Match[str]) -> str:
    frac = _proper_fraction(m.group(2), m.group(3))
    return f"{nw.integer(m.group(1))} and {frac}" if frac else m.group(0)


def _fraction(m: re.Match[str]) -> str:
    # Not a fraction ("24/7", "9/11"): read the two numbers.
    return _proper_fraction(m.group(1), m.group(2)) or f"{m.group(1)} {m.group(2)}"


def _decimal(m: re.Match[str]) -> str:
    whole, *parts = m.group(0).split(".")
    head = nw.integer(whole) + " " if whole else ""
    return head + " ".join(f"point {nw.digits(p)}" for p in parts)


def expand_ranges(text: str) -> str:
    """"10-20" -> "10 to 20", "-5" -> "minus 5", "+5" -> "plus 5".

    Runs before money and units so that "$10-20" and "10-20%" keep their unit;
    telephone numbers were read before (`telephone.py`).
    """
    # "$10-20" is left whole for the money rule, which puts the unit last.
    text = _RANGE.sub(lambda m: m.group(0) if m.group(1) else f"{m.group(2)} to ", text)
    text = _NEGATIVE.sub("minus ", text)
    return _PLUS.sub("plus ", text)


_RATIO = re.compile(r"(?<![\d:.,])\d{1,4}(?::\d{1,4})+(?![\d:]|[.,]\d)")
_CLOCK_SHAPE = re.compile(r"(\d{1,2}):([0-5]\d)(?::([0-5]\d))?")
_THREE_WORDS_BEFORE = re.compile(r"([A-Za-z]+)\W*(?:([A-Za-z]+)\W*)?(?:([A-Za-z]+)\W*)?$")
_RATIO_WORDS = frozenset(
    "ratio ratios aspect odds scale proportion mix mixed dilute diluted score scored won lost beat beats".split()
)


def _is_clock(numeral: str) -> bool:
    m = _CLOCK_SHAPE.fullmatch(numeral)
    return m is not None and int(m.group(1)) <= 24


def _ratio(m: re.Match[str]) -> str:
    before = _THREE_WORDS_BEFORE.search(m.string, max(0, m.start() - 50), m.start())
    cue = before is not None and any(w and w.lower() in _RATIO_WORDS for w in before.groups())
    if _is_clock(m.group(0)) and not cue:
        return m.group(0)  # a clock time: read by `dates.expand_times`
    return " to ".join(m.group(0).split(":"))


def expand_ratios(text: str) -> str:
    """Ratios and scores: "16:9" -> "16 to 9", "1:2:3" -> "1 to 2 to 3".

    Runs before the clock times. A numeral shaped like a valid time (H:MM,
    HH:MM[:SS], hours <= 24) stays a time unless a ratio word is among the
    three words before it ("aspect ratio of 16:10", "won 10:30"); anything
    else with colons between numbers is a ratio.
    """
    return _RATIO.sub(_ratio, text)


def expand_numbers(text: str) -> str:
    """#5 / No. 5, ordinals, fractions, dimensions, decimals and integers."""
    text = _NUMBER_SIGN.sub("number ", text)
    text = _NUMBER_ABBR.sub(lambda m: "numbers " if m.group(1).lower() == "nos" else "number ", text)
    text = _PAGE_ABBR.sub(lambda m: "pages " if m.group(1) == "pp" else "page ", text)
    text = _ORDINAL.sub(lambda m: nw.ordinal(int(m.group(1).replace(",", ""))), text)
    text = _MIXED_FRACTION.sub(_mixed_fraction, text)
    text = _FRACTION.sub(_fraction, text)
    text = _TIMES.sub(" by ", text)
    text = _MULTIPLIER.sub(lambda m: f"{m.group(1)} times", text)
    text = _LETTER_DIGIT.sub(" ", text)
    text = _DECIMAL.sub(_decimal, text)
    return _INTEGER.sub(lambda m: nw.integer(m.group(0)), text)

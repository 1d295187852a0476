"""normalize_text: exact spoken forms for tricky English inputs, one category per block."""

from __future__ import annotations

import re

import pytest

from prodiff_tts.text import normalize_text
from prodiff_tts.text.numbers import cardinal, ordinal, year

CASES = [
    # unicode: NFKC, accents folded, typographic quotes / dashes / ellipsis
    ("Café “naïve” résumé — voilà…", "cafe naive resume , voila ."),
    ("Ｆｕｌｌｗｉｄｔｈ ２０ items", "fullwidth twenty items"),
    ("It’s Zoë’s", "it's zoe's"),
    # cardinals, thousands separators, leading zeros, lists
    ("He has 1,234,567 apples.", "he has one million two hundred thirty four thousand five hundred sixty seven apples ."),
    ("100,000 people", "one hundred thousand people"),
    ("Agent 007", "agent zero zero seven"),
    ("Count 1, 2, 3.", "count one , two , three ."),
    ("There were 2021 people.", "there were two thousand twenty one people ."),
    # ordinals
    ("The 1st, 22nd and 103rd entries.", "the first , twenty second and one hundred third entries ."),
    ("The 11th and 100th days", "the eleventh and one hundredth days"),
    # decimals and signs
    ("Pi is 3.14.", "pi is three point one four ."),
    ("Add 0.5 and .5", "add zero point five and point five"),
    ("It was -5 degrees and -0.5 units.", "it was minus five degrees and minus zero point five units ."),
    ("Version 1.2.3", "version one point two point three"),
    # money
    ("It costs $5.", "it costs five dollars ."),
    ("It costs $5.50.", "it costs five dollars fifty cents ."),
    ("Only $0.99!", "only ninety nine cents !"),
    ("$1 and $1.01", "one dollar and one dollar one cent"),
    ("Just 1 cent.", "just one cent ."),
    ("£20 for a ticket", "twenty pounds for a ticket"),
    ("£5.50", "five pounds fifty pence"),
    ("€3.5 million was spent", "three point five million euros was spent"),
    ("a $1.2 billion deal", "a one point two billion dollars deal"),
    ("$2,500 or $5M", "two thousand five hundred dollars or five million dollars"),
    ("Costs $10-20 each", "costs ten to twenty dollars each"),
    ("It fell -$5 to 99¢", "it fell minus five dollars to ninety nine cents"),
    # percentages
    ("Prices rose 15%.", "prices rose fifteen percent ."),
    ("It rose 10-20% and fell -3.5%", "it rose ten to twenty percent and fell minus three point five percent"),
    # years (year-like context only) and decades
    ("He was born in 1990.", "he was born in nineteen ninety ."),
    ("In 2005 we moved.", "in two thousand five we moved ."),
    ("Since 2021, things changed.", "since twenty twenty one , things changed ."),
    ("By 1900 the city had grown.", "by nineteen hundred the city had grown ."),
    ("In 1905 and 2010", "in nineteen oh five and twenty ten"),
    ("In 1990, 1991 and 1992.", "in nineteen ninety , nineteen ninety one and nineteen ninety two ."),
    ("In 1990, 1500 people died.", "in nineteen ninety , one thousand five hundred people died ."),
    ("The 1990s and the '80s", "the nineteen nineties and the eighties"),
    ("the 2000s", "the two thousands"),
    ("In 100 BC", "in one hundred b c"),
    # dates
    ("It happened on May 5th, 2021.", "it happened on may fifth , twenty twenty one ."),
    ("Due 5/2/2021 at noon.", "due may second , twenty twenty one at noon ."),
    ("On Jan. 3 we left.", "on january third we left ."),
    ("Born 5 May 1990", "born the fifth of may nineteen ninety"),
    ("The 5th of May", "the fifth of may"),
    ("In May 2021", "in may twenty twenty one"),
    ("Released 2021-05-02", "released may second , twenty twenty one"),
    ("See you on 10/12", "see you on october twelfth"),
    ("On November 22, 1963, he died", "on november twenty second , nineteen sixty three , he died"),
    # clock times
    ("Meet me at 7:15.", "meet me at seven fifteen ."),
    ("Meet me at 7:15pm.", "meet me at seven fifteen p m ."),
    ("See you at 7 p.m.", "see you at seven p m ."),
    ("Leave at 10 a.m. Then rest.", "leave at ten a m . then rest ."),
    ("It's 12:00 now.", "it's twelve o'clock now ."),
    ("Wake at 7:05.", "wake at seven oh five ."),
    ("At 13:45", "at thirteen forty five"),
    ("It was 2:30 PM", "it was two thirty p m"),
    ("The ratio was 3:2.", "the ratio was three : two ."),
    # abbreviations and titles
    ("Dr. Smith lives on Main St.", "doctor smith lives on main street ."),
    ("He moved to St. Louis.", "he moved to saint louis ."),
    ("123 Main St., Springfield", "one hundred twenty three main street , springfield"),
    ("Elm Dr. is near", "elm drive is near"),
    ("Mr. and Mrs. Jones met Ms. Lee.", "mister and missus jones met miz lee ."),
    ("Martin Luther King Jr. spoke.", "martin luther king junior spoke ."),
    ("apples, pears, etc.", "apples , pears , et cetera ."),
    ("Cats vs. dogs, e.g. pets, i.e. animals.", "cats versus dogs , for example pets , that is animals ."),
    ("It weighs approx. 5 kg.", "it weighs approximately five kilograms ."),
    ("He lives at No. 5 Baker Street.", "he lives at number five baker street ."),
    ("Prof. Brown, Gen. Lee, Capt. Hook", "professor brown , general lee , captain hook"),
    ("Mt. Everest", "mount everest"),
    ("Park Ave. near Acme Co. and Foo Inc. and Bar Ltd.", "park avenue near acme company and foo incorporated and bar limited ."),
    ("The U.S. Army is big. I live in the U.S.", "the u s army is big . i live in the u s ."),
    ("J. R. R. Tolkien and John F. Kennedy", "j r r tolkien and john f kennedy"),
    # acronyms: spelled unless CMUdict reads them as a word
    ("The FBI and NASA met UNESCO.", "the f b i and nasa met unesco ."),
    ("The MP3 player and the CDs", "the m p three player and the c d's"),
    ("R&D at AT&T", "r and d at a t and t"),
    ("The US economy is OK", "the u s economy is o k"),
    ("COVID and HTML", "covid and h t m l"),
    ("THE FBI ARRESTS MAN", "the fbi arrests man"),
    # units
    ("He ran 5 km in 10 min.", "he ran five kilometers in ten minutes ."),
    ("10 kg, 3 cm, 5 mph, 60 Hz, 3 GB", "ten kilograms , three centimeters , five miles per hour , sixty hertz , three gigabytes"),
    ("1 km and 1.5 km", "one kilometer and one point five kilometers"),
    ("The 100 m sprint", "the one hundred meters sprint"),
    ("It was 72°F, then -10°C", "it was seventy two degrees fahrenheit , then minus ten degrees celsius"),
    ("He is 5' tall, she is 6'2\"", "he is five feet tall , she is six feet two inches"),
    ("He's 6 ft. tall", "he's six feet tall"),
    # symbols
    ("Tom & Jerry", "tom and jerry"),
    ("2 + 2 = 4", "two plus two equals four"),
    ("Email me @ home, item #5.", "email me at home , item number five ."),
    ("C++ at 1920x1080", "c plus plus at one thousand nine hundred twenty by one thousand eighty"),
    ("mail john.doe@example.org", "mail john dot doe at example dot org"),
    # fractions
    ("Add 1 1/2 cups, 3/4 full; 24/7 service.", "add one and one half cups , three quarters full ; twenty four seven service ."),
    # roman numerals where safe
    ("Henry VIII had six wives.", "henry the eighth had six wives ."),
    ("Read Chapter IV now.", "read chapter four now ."),
    ("World War II ended in 1945.", "world war two ended in nineteen forty five ."),
    ("Louis XIV's palace", "louis the fourteenth's palace"),
    ("Elizabeth I of England", "elizabeth the first of england"),
    ("When John I met her", "when john i met her"),
    # ranges
    ("The war lasted 1990-1995.", "the war lasted nineteen ninety to nineteen ninety five ."),
    ("In 1990–95", "in nineteen ninety to nineteen ninety five"),
    ("Read pages 10-20.", "read pages ten to twenty ."),
    ("A 3-2 win", "a three to two win"),
    ("Call 555-123-4567 now.", "call five five five , one two three , four five six seven now ."),
    # pauses and punctuation
    ("He said (quietly) that it -- was fine.", "he said , quietly , that it , was fine ."),
    ("Wait... what?! Really?!?", "wait , what ? really ?"),
    ('"Hello," she said.', "hello , she said ."),
    ("rock 'n' roll", "rock n roll"),
    ("COVID-19 cases", "covid nineteen cases"),
    ("First paragraph\n\nSecond one", "first paragraph . second one"),
    # unreadable characters are dropped here (the frontend warns)
    ("Hello 👋 world 中文 Привет!", "hello world !"),
    ("", ""),
    ("  \t\n ", ""),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_normalize(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


_OUTPUT = re.compile(r"^(?:(?:[a-z']+|[,.?!;:])(?: (?:[a-z']+|[,.?!;:]))*)?$")


@pytest.mark.parametrize("text", [c[0] for c in CASES] + ["\x00\x07 odd\u200b chars\ufeff", "$$$ ### ***"])
def test_output_alphabet(text: str) -> None:
    out = normalize_text(text)
    assert _OUTPUT.match(out), out
    assert "  " not in out


def test_deterministic() -> None:
    text = "Dr. Smith paid $5.50 on May 5th, 2021 at 7:15pm."
    assert normalize_text(text) == normalize_text(text)


@pytest.mark.parametrize(
    ("n", "words"),
    [(0, "zero"), (15, "fifteen"), (105, "one hundred five"), (1_000_001, "one million one"),
     (-42, "minus forty two")],
)
def test_cardinal(n: int, words: str) -> None:
    assert cardinal(n) == words


@pytest.mark.parametrize(("n", "words"), [(1, "first"), (12, "twelfth"), (20, "twentieth"), (1003, "one thousand third")])
def test_ordinal(n: int, words: str) -> None:
    assert ordinal(n) == words


@pytest.mark.parametrize(
    ("n", "words"),
    [(1100, "eleven hundred"), (1900, "nineteen hundred"), (2000, "two thousand"),
     (2005, "two thousand five"), (2021, "twenty twenty one"), (1066, "ten sixty six")],
)
def test_year(n: int, words: str) -> None:
    assert year(n) == words

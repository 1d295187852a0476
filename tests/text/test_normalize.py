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
    ("In 1066, 1492 and 2025", "in ten sixty six , fourteen ninety two and twenty twenty five"),
    ("He was born in 1066.", "he was born in ten sixty six ."),
    ("In 1066 the Normans came.", "in ten sixty six the normans came ."),
    ("The reign, 1066-1087, was long", "the reign , ten sixty six to ten eighty seven , was long"),
    ("between 1066 and 1087", "between ten sixty six and ten eighty seven"),
    ("Q3 2024 revenue", "q three twenty twenty four revenue"),
    ("Q4-2023 and the 2024 Q1 report", "q four twenty twenty three and the twenty twenty four q one report"),
    ("H1 2023 sales, FY2025 plan", "h one twenty twenty three sales , f y twenty twenty five plan"),
    ("b. 1955", "born nineteen fifty five"),
    ("Lincoln (b. 1809, d. 1865)", "lincoln , born eighteen oh nine , died eighteen sixty five ,"),
    ("Built c. 1500", "built circa fifteen hundred"),
    ("Since 1999 and by 2030", "since nineteen ninety nine and by twenty thirty"),
    # not years: no year context, or a noun after an early number
    ("A block of 1024 bytes", "a block of one thousand twenty four bytes"),
    ("In 1050 cases", "in one thousand fifty cases"),
    ("2024 revenue rose", "two thousand twenty four revenue rose"),
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
    ("The train leaves at 10:30.", "the train leaves at ten thirty ."),
    ("Lap time 12:30:45", "lap time twelve thirty and forty five seconds"),
    # ratios and scores: "to" between the numbers; a valid clock time stays a time
    ("The ratio was 3:2.", "the ratio was three to two ."),
    ("A 16:9 screen", "a sixteen to nine screen"),
    ("Mix them 1:2:3", "mix them one to two to three"),
    ("Dilute 1:100", "dilute one to one hundred"),
    ("An aspect ratio of 16:10", "an aspect ratio of sixteen to ten"),
    ("The score was 2:1 at 10:30.", "the score was two to one at ten thirty ."),
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
    # weekdays (with their period, or before a date) and addresses
    ("Mon.", "monday ."),
    ("See you Mon. Then we go.", "see you monday . then we go ."),
    ("On Mon., Jan. 3 we met", "on monday , january third we met"),
    ("Tues. and Thurs.", "tuesday and thursday ."),
    ("Open Sat, May 5", "open saturday , may fifth"),
    ("Fri 10/12", "friday october twelfth"),
    ("Wed. at 7 p.m.", "wednesday at seven p m ."),
    ("I saw the Sun.", "i saw the sun ."),
    ("Apt. 12", "apartment twelve"),
    ("5 N. Main St., Apt 4B", "five north main street , apartment four b"),
    ("Bldg. 3, Rm. 12, Ste. 200", "building three , room twelve , suite two hundred"),
    ("Ste. Genevieve", "sainte genevieve"),
    ("Take Hwy. 101 to Sunset Blvd", "take highway one hundred one to sunset boulevard"),
    ("123 SW Elm Ave.", "one hundred twenty three southwest elm avenue ."),
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
    ("He is 5 ft. 3 in.", "he is five feet three inches ."),
    ("It is 5 in. long, not 5 in a row", "it is five inches long , not five in a row"),
    ("A 12 sq. ft. room and 1 sq ft", "a twelve square feet room and one square foot"),
    ("2 cu. m of sand", "two cubic meters of sand"),
    ("2 tsp of salt, 1 tbsp oil, 2 gal of milk", "two teaspoons of salt , one tablespoon oil , two gallons of milk"),
    ("A 3 yrs old dog, 1 yr later, 6 mos", "a three years old dog , one year later , six months"),
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
    ("Items 1990-1995 and 10-20", "items nineteen ninety to nineteen ninety five and ten to twenty"),
    ("Between 100-1000 people", "between one hundred to one thousand people"),
    ("Read pages 995-1012.", "read pages nine hundred ninety five to one thousand twelve ."),
    ("It rose 110-120%", "it rose one hundred ten to one hundred twenty percent"),
    ("It cost $100-1000", "it cost one hundred to one thousand dollars"),
    ("It was 9/11, then 1,000 days", "it was nine eleven , then one thousand days"),
    # telephone numbers: digits in their groups, a pause between groups
    ("call 555-1234", "call five five five , one two three four"),
    ("My number is 555-0199.", "my number is five five five , zero one nine nine ."),
    ("Fax 555-1200", "fax five five five , one two zero zero"),
    ("Call us at 555-1230", "call us at five five five , one two three zero"),
    ("A number of 500-1000 people", "a number of five hundred to one thousand people"),
    ("+15551234567", "plus one five five five one two three four five six seven"),
    ("+1 (800) 555-0199", "plus one , eight zero zero , five five five , zero one nine nine"),
    ("Dial 1-800-555-0199", "dial one , eight zero zero , five five five , zero one nine nine"),
    ("(800) 555-0199 or 800.555.0199", "eight zero zero , five five five , zero one nine nine or "
     "eight zero zero , five five five , zero one nine nine"),
    ("+44 20 7946 0958", "plus four four , two zero , seven nine four six , zero nine five eight"),
    ("Call 911", "call nine one one"),
    ("Dial 911 now.", "dial nine one one now ."),
    ("Call 999 in the UK", "call nine nine nine in the u k"),
    ("Call 100 people", "call one hundred people"),
    ("It was +5 degrees", "it was plus five degrees"),
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

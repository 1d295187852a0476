"""Calibration sentences of the int8 export: what the fp32 plan is run on to collect each step's inputs.

Written for this package and dedicated to the public domain (CC0); deliberately not the benchmark texts
(``bench/texts.py``), so that int8 is measured on text it was not calibrated on. Varied in length, sentence
type and content (numbers, questions, names, lists), so that the activation ranges cover what a voice says.
"""

from __future__ import annotations

__all__ = ["CALIBRATION_SENTENCES", "calibration_sentences"]

CALIBRATION_SENTENCES: tuple[str, ...] = (
    "The morning train left the station eleven minutes late.",
    "Could you tell me where the nearest pharmacy is?",
    "Yes.",
    "Please remember to water the tomatoes before you leave on Friday.",
    "In eighteen sixty two, the bridge over the canal was finally rebuilt in stone.",
    "She bought apples, pears, two loaves of bread, and a small jar of honey.",
    "Why would anyone paint a kitchen bright orange?",
    "The committee will meet again on the fourth of March at half past nine.",
    "Thank you very much for your patience.",
    "A cold wind swept down from the mountains and rattled every shutter in the village.",
    "Turn left at the second light, then keep going until you see the blue sign.",
    "How many people were waiting outside when the doors opened?",
    "The recipe calls for three eggs, a cup of sugar, and a pinch of salt.",
    "Nobody expected the quiet student to win the chess tournament.",
    "Stop!",
    "Our flight to Chicago was delayed because of a storm over the lakes.",
    "He whispered the answer so softly that only the front row could hear it.",
    "The total came to forty seven dollars and twenty cents.",
    "If the river rises any higher, the lower fields will flood by tomorrow night.",
    "Is this the right way to the museum, or should we have taken the bus?",
    "Rain drummed on the tin roof all through the long and sleepless night.",
    "The doctor said the results would arrive within a week or two.",
    "Every summer the family drove north to a cabin beside a clear, still lake.",
    "Wait here, I will be back in just a moment.",
    "The old clock in the hallway struck midnight as the guests were leaving.",
    "Engineers tested the new engine for six hundred hours without a single failure.",
    "What a wonderful surprise to see you here!",
    "The library closes early on Sundays, so plan your visit accordingly.",
    "Mister Thompson has lived on this street for more than forty years.",
    "Bright red kites danced above the beach while the tide slowly went out.",
    "Before you sign anything, read every page of the contract carefully.",
    "The children laughed, the dog barked, and somewhere a kettle began to whistle.",
)


def calibration_sentences(n: int) -> list[str]:
    """The first ``n`` calibration sentences (all of them when ``n`` is larger)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"the number of calibration sentences must be a positive integer, got {n!r}")
    return list(CALIBRATION_SENTENCES[:n])

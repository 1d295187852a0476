"""Benchmark texts: English passages of 5, 10, 20, 50, 100 and 200 words (whitespace-separated tokens).

Written for this package (not taken from any corpus or from the training sentences of the repository) and
dedicated to the public domain (CC0). Plain prose without numbers or abbreviations, so the word counts are
those the synthesizer speaks. Committed and fixed: benchmark numbers are only comparable on the same texts.
"""

from __future__ import annotations

BENCHMARK_TEXTS: dict[int, str] = {
    5: 'The lighthouse keeper woke early.',
    10: 'A wind moved across the harbor before the sun rose.',
    20: 'She climbed the narrow stairs, lit the great lamp, and watched its beam sweep over the dark and restless water.',
    50: (
        'Far below the tower, the fishing boats were leaving the shelter of the bay. '
        'Their crews called to one another across the waves, and the gulls followed close behind, hoping for an easy meal. '
        'By the time the lamp was dimmed, the last boat had vanished beyond the rocky point.'
    ),
    100: (
        'Every evening the keeper wrote a few careful lines in a worn leather journal. '
        'He noted the direction of the wind, the height of the tide, and the color of the sky at dusk. '
        'Some nights he added a word about a passing ship or a strange light on the horizon. '
        'Over many years the pages filled with quiet observations that no one else would ever read. '
        'When his niece finally opened the journal, she found that it told the story of the coast better than any history book. '
        'She decided to copy every single page by hand that winter.'
    ),
    200: (
        'The old village stood on a hill above the river, where the road from the north crossed an ancient stone bridge. '
        'Travelers often stopped at the inn beside the bridge to rest their horses and share the news of distant towns. '
        'In the spring the meadows along the water turned yellow with flowers, and children ran through the tall grass until dark. '
        'The miller kept his great wheel turning from dawn until evening, grinding grain for every family in the valley. '
        'Each autumn the farmers brought their harvest to the market square, and the whole village gathered to trade and celebrate. '
        'There was music in the streets, bread fresh from the ovens, and long tables covered with apples, cheese, and honey. '
        'When winter came, snow buried the paths and the river froze along its banks. '
        'People stayed close to their fires, mending tools, telling stories, and waiting for the days to grow longer again. '
        'The teacher in the small school taught the children to read, to count, and to remember the names of the stars. '
        'Those who moved to the cities returned at least once, drawn back by the sound of the river and the familiar shape of the hills.'
    ),
}


def word_count(text: str) -> int:
    return len(text.split())

"""The 2012 recipe's inputs: VADER's rules and lexicon, and features a person chose by hand.

VADER (Hutto and Gilbert 2014) is a hand-built lexicon of about 7,500 rated words and emoticons plus
rules for negation, intensifiers, "but", capitals and punctuation; its ``compound`` score is in [-1, 1].
The hand features follow what feature engineering of that era used (Bandari, Asur and Huberman 2012
built theirs from source, category, subjectivity and named entities): VADER's four scores, length,
exclamation and question marks, capitals, negations, and a Flesch reading-ease score computed here.
"""

from __future__ import annotations

import math
import re

WORD = re.compile(r"[A-Za-z0-9']+")
VOWEL_GROUP = re.compile(r"[aeiouy]+")
FEATURE_NAMES = (
    "vader_neg",
    "vader_neu",
    "vader_pos",
    "vader_compound",
    "log_words",
    "exclamations",
    "questions",
    "capital_words",
    "negations",
    "flesch_reading_ease",
)


def analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def vader_scores(texts: list[str]) -> list[dict[str, float]]:
    """VADER's ``neg``, ``neu``, ``pos`` and ``compound`` for every text (no training: rules and lexicon)."""
    scorer = analyzer()
    return [scorer.polarity_scores(text) for text in texts]


def vader_predicts_positive(compound: float) -> int:
    """VADER's binary call on a sentence known to be non-neutral: positive unless the compound is negative."""
    return int(compound >= 0)


def syllables(word: str) -> int:
    """Vowel groups, less a silent final e: the usual approximation behind readability formulas."""
    word = word.lower()
    count = len(VOWEL_GROUP.findall(word))
    if word.endswith("e") and not word.endswith(("le", "ee")) and count > 1:
        count -= 1
    return max(1, count)


def flesch_reading_ease(text: str) -> float:
    """Flesch (1948): 206.835 - 1.015 words per sentence - 84.6 syllables per word (higher: easier)."""
    words = WORD.findall(text)
    if not words:
        return 0.0
    sentences = max(1, len(re.findall(r"[.!?]+(?:\s|$)", text)))
    per_word = sum(syllables(w) for w in words) / len(words)
    return 206.835 - 1.015 * len(words) / sentences - 84.6 * per_word


def negation_count(words: list[str]) -> int:
    from vaderSentiment.vaderSentiment import NEGATE

    negators = set(NEGATE)
    return sum(1 for w in words if w.lower() in negators or w.lower().endswith("n't"))


def hand_features(texts: list[str], scores: list[dict[str, float]]) -> list[list[float]]:
    """One row of :data:`FEATURE_NAMES` per text, from the text and its VADER scores."""
    rows = []
    for text, score in zip(texts, scores, strict=True):
        words = WORD.findall(text)
        capitals = sum(1 for w in words if len(w) > 1 and w.isupper())
        rows.append(
            [
                score["neg"],
                score["neu"],
                score["pos"],
                score["compound"],
                math.log1p(len(words)),
                text.count("!"),
                text.count("?"),
                capitals / max(1, len(words)),
                negation_count(words),
                flesch_reading_ease(text),
            ]
        )
    return rows

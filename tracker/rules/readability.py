"""Plain-language checks for what patients read: sentences, staff notation, abbreviations.

Pure Python (no Django). The reading-ease score itself comes from `textstat` in the tests
(tests/test_plain_language.py); this module prepares a text for it and checks what a formula
cannot see. Source for the rules: the NHS digital service manual, content style guide (health
literacy; abbreviations and acronyms; numbers): short sentences, everyday words first with the
medical term in brackets, abbreviations explained.
"""

from __future__ import annotations

import re

# Abbreviations every patient knows: they need no explanation.
WELL_KNOWN = frozenset({"GP", "NHS"})

# A number as written in patient texts: "14", "+14", "−3" (minus sign), "37.5", "37.5°C".
_NUMBER = re.compile(r"[+\u2212-]?\d+(?:[.,]\d+)?(?:°C|%)?")
# A sentence ends at . ! or ? followed by a space (so "37.5" or "e.g." inside words do not).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
# Two capitals in a row make a token an abbreviation: "GVHD", "G-CSF", "rhBMP-2", "NIHSS".
_ABBREVIATION = re.compile(r"(?<![\w-])[\w-]*[A-Z]{2,}[\w-]*")

# What a patient's title must not carry: the staff's notation (CLINICAL.md units, ranges,
# occurrence numbers) or a number in brackets, the single "(Day 0)" apart.
_TITLE_NOTATION = (
    (re.compile(r"[≥≤×⁰¹²³⁴⁵⁶⁷⁸⁹]"), "a sign or superscript of the staff's notation"),
    (
        re.compile(r"\d\s*(?:mg|mL|ml|L|g|kg|Gy|mmol|µmol|%|°C)\b|/L\b|m²"),
        "a unit",
    ),
    (re.compile(r"\((?!Day 0\))[^)]*\d[^)]*\)"), "a number in brackets"),
    (re.compile(r"\bevery\s+\d", re.IGNORECASE), "a repeat interval"),
    (re.compile(r"\b(?:dose|number)\s*\d|#\d", re.IGNORECASE), "an occurrence number"),
    (re.compile(r"\s\d+\s*$"), "a trailing number"),
)
# Staff words that have a plain one: evaluation (check-up), prophylaxis (medicine to prevent).
STAFF_WORDS = ("evaluation", "prophylaxis", "engraftment", "inpatient", "assessment")
TITLE_MOST_WORDS = 8


def for_scoring(text: str) -> str:
    """The text as a reading-ease formula should see it: every number one short word.

    textstat splits a sentence at the point of "37.5°C" and counts "+14" or "−3" as it
    pleases; a reader reads each number as one word, so each becomes "ten".
    """
    return _NUMBER.sub("ten", text)


def sentences(text: str) -> list[str]:
    """The text's sentences (a colon or semicolon does not end one)."""
    return [part for part in _SENTENCE_END.split(text.strip()) if part]


def words(text: str) -> list[str]:
    return text.split()


def longest_sentence(text: str) -> str:
    """The sentence with the most words ("" for no text)."""
    return max(sentences(text), key=lambda sentence: len(words(sentence)), default="")


def abbreviations(text: str) -> list[str]:
    """Abbreviations in the text, in order, each once."""
    return list(dict.fromkeys(_ABBREVIATION.findall(text)))


def is_explained(abbreviation: str, text: str) -> bool:
    """Explained in brackets: "a common virus (CMV)" or "MMR vaccine (measles, mumps…)"."""
    name = re.escape(abbreviation)
    in_brackets = re.search(rf"\([^)]*(?<![\w-]){name}(?![\w-])[^)]*\)", text)
    before_brackets = re.search(rf"(?<![\w-]){name}(?![\w-])[^.()]{{0,20}}\(", text)
    return bool(in_brackets or before_brackets)


def unexplained_abbreviations(text: str, *, well_known: frozenset[str] = WELL_KNOWN) -> list[str]:
    """The abbreviations a patient would meet without a word of explanation."""
    return [
        abbreviation
        for abbreviation in abbreviations(text)
        if abbreviation not in well_known and not is_explained(abbreviation, text)
    ]


def title_problems(title: str) -> list[str]:
    """Why a patient's title is not plain: staff notation, staff words, too long."""
    problems = [why for pattern, why in _TITLE_NOTATION if pattern.search(title)]
    problems += [f"the staff word {word!r}" for word in STAFF_WORDS if word in title.lower()]
    if len(words(title)) > TITLE_MOST_WORDS:
        problems.append(f"more than {TITLE_MOST_WORDS} words")
    return problems

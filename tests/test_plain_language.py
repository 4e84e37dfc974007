"""Every text a patient reads, held to a reading age of about 11 (issue 17).

Patients read these on a phone while ill. NHS content guidance: short sentences, everyday words
first with the medical term in brackets, no unexplained abbreviations. Checked here: every
step's patient_title and patient_text in fixtures/protocols.json, the checklist items a patient
ticks (audience "patient"), every phase explanation and every when-to-call line
(tracker.rules.plain_language).

The limits (textstat 0.7.8, measured after the rewrite):

- each text: Flesch–Kincaid grade at most 6 (US grade 6, ages 11 to 12) and Flesch reading
  ease at least 70. A short text with one medicine or vaccine name it cannot do without
  ("hepatitis B") swings several points, so the single-text floor sits one band below;
- all the texts together: reading ease at least 80 and grade at most 5 (Flesch's "easy", read
  at 11);
- no sentence over 20 words, anywhere.

Titles and checklist items are fragments, where the formulas mean nothing ("Clinic visit"
scores grade 8.8): they are held to the sentence length, to plain notation and to the
abbreviation rule instead.

Numbers are scored as one short word each (`readability.for_scoring`): textstat ends a sentence
at the point of "37.5°C" and reads "Day +14" or "Day −3" as it pleases.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import textstat

from tracker.rules import plain_language, readability

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "protocols.json"

MOST_GRADE = 6.0
LEAST_EASE = 70.0
TOGETHER_MOST_GRADE = 5.0
TOGETHER_LEAST_EASE = 80.0
MOST_WORDS = 20


def _steps() -> list[dict]:
    rows = json.loads(FIXTURE.read_text())
    return [row["fields"] for row in rows if row["model"] == "tracker.protocolstep"]


def _where(step: dict) -> str:
    return f"{step['protocol'][0]}/{step['key']}"


def patient_texts() -> list[tuple[str, str]]:
    """(where, text) for every paragraph a patient reads."""
    texts = [(f"{_where(step)} patient_text", step["patient_text"]) for step in _steps()]
    for name, explanations in (
        ("TRANSPLANT", plain_language.TRANSPLANT),
        ("PROCEDURE", plain_language.PROCEDURE),
    ):
        texts += [(f"plain_language.{name}[{phase}]", text) for phase, text in explanations.items()]
    for name, lines in (
        ("WHEN_TO_CALL_TRANSPLANT", plain_language.WHEN_TO_CALL_TRANSPLANT),
        ("WHEN_TO_CALL_PROCEDURE", plain_language.WHEN_TO_CALL_PROCEDURE),
    ):
        texts += [(f"plain_language.{name}[{n}]", line) for n, line in enumerate(lines)]
    return texts


def patient_titles() -> list[tuple[str, str]]:
    return [
        (f"{_where(step)} patient_title", step["patient_title"])
        for step in _steps()
        if step.get("patient_title")
    ]


def patient_checklist_items() -> list[tuple[str, str]]:
    """The items a patient ticks on their own steps (ChecklistItem.can_be_ticked_by)."""
    return [
        (f"{_where(step)} checklist", item.strip())
        for step in _steps()
        if step["audience"] == "patient"
        for item in step["checklist"].splitlines()
        if item.strip()
    ]


def everything() -> list[tuple[str, str]]:
    return patient_texts() + patient_titles() + patient_checklist_items()


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(readability.for_scoring(text)))


def ease(text: str) -> float:
    return float(textstat.flesch_reading_ease(readability.for_scoring(text)))


def report(failures: list[str]) -> str:
    return f"{len(failures)} to rewrite:\n" + "\n".join(failures)


def test_the_check_covers_every_step_phase_and_care_card_line():
    steps = _steps()
    texts = dict(patient_texts())
    # Not started plus 7 transplant phases, not started plus 4 procedure phases; the cards.
    assert len(texts) == len(steps) + 8 + 5 + 6 + 4
    assert sum(1 for where in texts if where.endswith("patient_text")) == len(steps)
    assert patient_titles()
    assert patient_checklist_items()


def test_each_patient_text_reads_at_about_age_11():
    failures = [
        f"{where}: grade {grade(text):.1f}, ease {ease(text):.0f}: {text}"
        for where, text in patient_texts()
        if grade(text) > MOST_GRADE or ease(text) < LEAST_EASE
    ]
    assert not failures, report(failures)


def test_the_patient_texts_together_read_at_age_11():
    together = " ".join(text for _, text in patient_texts())
    assert grade(together) <= TOGETHER_MOST_GRADE
    assert ease(together) >= TOGETHER_LEAST_EASE


def test_no_sentence_a_patient_reads_is_over_20_words():
    failures = []
    for where, text in everything():
        sentence = readability.longest_sentence(text)
        if len(readability.words(sentence)) > MOST_WORDS:
            failures.append(f"{where}: {len(readability.words(sentence))} words: {sentence}")
    assert not failures, report(failures)


def test_patient_titles_are_plain():
    failures = [
        f"{where}: {', '.join(problems)}: {title}"
        for where, title in patient_titles()
        if (problems := readability.title_problems(title))
    ]
    assert not failures, report(failures)


def test_no_abbreviation_reaches_a_patient_unexplained():
    failures = [
        f"{where}: {', '.join(unexplained)} unexplained: {text}"
        for where, text in everything()
        if (unexplained := readability.unexplained_abbreviations(text))
    ]
    assert not failures, report(failures)


def test_the_safety_advice_keeps_its_numbers():
    """Plain words must not lose the temperatures and the emergency number."""
    transplant_card = " ".join(plain_language.WHEN_TO_CALL_TRANSPLANT)
    procedure_card = " ".join(plain_language.WHEN_TO_CALL_PROCEDURE)
    assert "37.5°C" in transplant_card
    assert "37.5°C" in plain_language.TRANSPLANT[plain_language.Phase.ENGRAFTMENT]
    assert "38°C" in procedure_card
    assert "999" in procedure_card
    assert "emergency" in procedure_card
    discharges = [step for step in _steps() if step["key"] == "discharge-home"]
    assert discharges
    assert all("37.5°C" in step["patient_text"] for step in discharges)


# --- The helpers (tracker.rules.readability) -------------------------------------------------


def test_numbers_score_as_one_word_and_do_not_end_a_sentence():
    text = "Call us if your temperature is 37.5°C or higher on Day +14."
    assert readability.for_scoring(text) == (
        "Call us if your temperature is ten or higher on Day ten."
    )
    assert readability.sentences(text) == [text]
    assert readability.sentences("Rest today: no visitors. Come back on Day −3!") == [
        "Rest today: no visitors.",
        "Come back on Day −3!",
    ]


def test_the_longest_sentence_is_found_by_its_words():
    text = "One two. One two three four five. One."
    assert readability.longest_sentence(text) == "One two three four five."
    assert readability.longest_sentence("") == ""


@pytest.mark.parametrize(
    ("text", "unexplained"),
    [
        ("We test for CMV every week.", ["CMV"]),
        ("We test for a common virus (CMV) every week. CMV is common.", []),
        ("The MMR vaccine (measles, mumps and rubella) is live.", []),
        ("Filgrastim (G-CSF) helps. So does rhBMP-2.", ["rhBMP-2"]),
        ("Your ANC is 0.5 and your GVHD is mild.", ["ANC", "GVHD"]),
        ("Ask your GP.", []),
        ("Bring an X-ray and your 3D scan.", []),
    ],
)
def test_abbreviations_need_their_words_in_brackets(text, unexplained):
    assert readability.unexplained_abbreviations(text) == unexplained


@pytest.mark.parametrize(
    "title",
    [
        "Clinic visit (3)",
        "Clinic visit, early (every 3 days)",
        "Platelet engraftment (≥ 20 × 10⁹/L without transfusion)",
        "Melphalan 200 mg/m²",
        "Pneumococcal conjugate vaccine (PCV), dose 1",
        "Stop PJP prophylaxis, when the rule allows",
        "Day +100 evaluation",
        "A title that goes on and on for far too many words",
    ],
)
def test_a_title_in_the_staffs_notation_is_caught(title):
    assert readability.title_problems(title)


@pytest.mark.parametrize(
    "title",
    [
        "Clinic visit",
        "Your stem cells (Day 0)",
        "Filgrastim injections (to help your blood recover)",
        "Your yearly check, 3 years after your transplant",
        "Chickenpox vaccine, second dose",
    ],
)
def test_a_plain_title_passes(title):
    assert readability.title_problems(title) == []

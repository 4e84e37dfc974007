"""What each phase means, in words a patient reading on a phone while ill understands.

Pure Python (no Django). Sources for the content: CLINICAL.md sections 1 and 8. The words are
held to a reading age of about 11 (NHS content guidance; tests/test_plain_language.py).
"""

from tracker.rules.schedule import Phase

TRANSPLANT = {
    None: (
        "Your treatment has not started yet. Below is what we have planned and what to get ready."
    ),
    Phase.WORK_UP: (
        "These are the weeks before your treatment starts. You have tests and we get everything "
        "ready. Your plan below shows what happens on each day."
    ),
    Phase.CONDITIONING: (
        "These are the days of strong chemotherapy (conditioning). Some people also have "
        "radiotherapy. It makes room in your bone marrow for the new cells. Your plan below "
        "shows what happens on each day."
    ),
    Phase.DAY_ZERO: (
        "Today you get your stem cells. They go in through your line (the thin tube in your "
        "chest or arm), like a blood transfusion. It takes from less than an hour up to five "
        "hours."
    ),
    Phase.ENGRAFTMENT: (
        "The new cells are settling into your bone marrow and starting to make blood. Your "
        "blood counts are low, so you catch infections easily. Wash your hands often and keep "
        "away from crowds. Call us straight away if your temperature is 37.5°C or higher."
    ),
    Phase.HUNDRED_DAY: (
        "Your blood counts are getting better. You come to the clinic often. We check your "
        "blood and your medicines, so we can catch any problem early."
    ),
    Phase.IMMUNE_RECOVERY: (
        "Your immune system (your body's defence against germs) is slowly building up again. "
        "You have your childhood vaccines again. Some of your medicines stop, one at a time."
    ),
    Phase.LONG_TERM: (
        "We see you about once a year to check your health. Some effects of a transplant only "
        "show up years later."
    ),
}

PROCEDURE = {
    None: (
        "Your procedure has not happened yet. Below is what we have planned and what to get ready."
    ),
    Phase.PREPARATION: "You are getting ready for your procedure. Follow the steps below.",
    Phase.PROCEDURE_DAY: (
        "Today is the day of your procedure. We take cells from your hip bone, get them ready "
        "and give them back to you on the same day. It takes a few hours."
    ),
    Phase.RECOVERY: (
        "You are getting better after your procedure. Some pain for a few days is normal. "
        "Follow the advice below. Call us if the pain gets worse."
    ),
    Phase.FOLLOW_UP: "We see you from time to time to check how you are doing.",
}


def phase_explanation(phase: Phase | None, *, procedure: bool) -> str:
    """A few short, plain sentences on what the phase means; None is 'not started yet'."""
    return (PROCEDURE if procedure else TRANSPLANT)[phase]


# "When to call us": the care card on every patient page and printout, with the centre's
# numbers beside it. Each line starts with what the patient notices.
WHEN_TO_CALL_TRANSPLANT = (
    "Your temperature is 37.5°C or higher. Or you shiver, or you suddenly feel unwell.",
    "You bleed and it does not stop, or you have new bruises or tiny red spots on your skin.",
    "You are short of breath, or you have a new cough or chest pain.",
    "You have diarrhoea. Or you are being sick (vomiting) and cannot keep drinks or tablets down.",
    "You have a new rash, or your skin or the whites of your eyes turn yellow.",
    "Your line (the thin tube in your chest or arm) is red, sore, leaking or swollen.",
)
WHEN_TO_CALL_PROCEDURE = (
    "The place where the needle went in bleeds and does not stop after 10 minutes of firm "
    "pressure.",
    "The place is red, hot, swollen or leaks pus, or your temperature is 38°C or higher.",
    "The pain gets worse after 3 days instead of better.",
    "Your leg or arm goes cold, pale, numb or very painful. This is an emergency. Call 999 "
    "(or your local emergency number) if we are closed.",
)


def when_to_call(*, procedure: bool) -> tuple[str, ...]:
    """The care card's lines: when to call the team straight away."""
    return WHEN_TO_CALL_PROCEDURE if procedure else WHEN_TO_CALL_TRANSPLANT

"""What each phase means, in words a patient reading on a phone while ill understands.

Pure Python (no Django). Sources for the content: CLINICAL.md sections 1 and 8.
"""

from tracker.rules.schedule import Phase

TRANSPLANT = {
    None: "Your treatment has not started yet. Below is what is planned and what to prepare.",
    Phase.WORK_UP: (
        "These are the weeks of tests and getting ready before your treatment starts. Your "
        "plan below shows what happens on which day."
    ),
    Phase.CONDITIONING: (
        "These are the days of strong chemotherapy (conditioning), sometimes with radiation. "
        "It clears space in your bone marrow for the new cells. Your plan below shows what "
        "happens on which day."
    ),
    Phase.DAY_ZERO: (
        "Today you receive your stem cells. They go in through your line, like a blood "
        "transfusion, and usually take one to five hours."
    ),
    Phase.ENGRAFTMENT: (
        "The new cells are settling into your bone marrow and starting to make blood. Your "
        "blood counts are low, so you catch infections easily: wash your hands often, avoid "
        "crowds, and call the team straight away if your temperature is 37.5°C or higher."
    ),
    Phase.HUNDRED_DAY: (
        "Your blood counts are recovering. You come to clinic often so the team can check "
        "your blood and your medicines and catch any problem early."
    ),
    Phase.IMMUNE_RECOVERY: (
        "Your immune system (your body's defence against germs) is slowly rebuilding. You "
        "will have your childhood vaccinations again, and some medicines stop step by step."
    ),
    Phase.LONG_TERM: (
        "You see the team about once a year to check your health, because some effects of "
        "a transplant only show up years later."
    ),
}

PROCEDURE = {
    None: "Your procedure has not happened yet. Below is what is planned and what to prepare.",
    Phase.PREPARATION: "You are getting ready for your procedure. Follow the steps below.",
    Phase.PROCEDURE_DAY: (
        "Today is the day of your procedure. Cells are taken from your hip bone, made ready, "
        "and put back on the same day. It takes a few hours."
    ),
    Phase.RECOVERY: (
        "You are getting better after your procedure. Some pain for a few days is normal. "
        "Follow the advice below, and call us if it gets worse."
    ),
    Phase.FOLLOW_UP: "We see you now and then to check how the treatment worked.",
}


def phase_explanation(phase: Phase | None, *, procedure: bool) -> str:
    """One or two plain sentences on what the phase means; None is 'not started yet'."""
    return (PROCEDURE if procedure else TRANSPLANT)[phase]


# "When to call us": the care card on every patient page and printout, with the centre's
# numbers beside it. Each line starts with what the patient notices.
WHEN_TO_CALL_TRANSPLANT = (
    "Your temperature is 37.5°C or higher, or you shiver or feel suddenly unwell.",
    "You bleed and it does not stop, or you have new bruises or tiny red spots on your skin.",
    "You are short of breath, or have a new cough or chest pain.",
    "You have diarrhoea, or you are sick (vomiting) and cannot keep drinks or tablets down.",
    "You have a new rash, or your skin or the whites of your eyes turn yellow.",
    "Your line (the tube in your chest) is red, sore, leaking or swollen.",
)
WHEN_TO_CALL_PROCEDURE = (
    "The place where the needle went in bleeds and does not stop after 10 minutes of firm "
    "pressure.",
    "The place is red, hot, swollen or leaks pus, or your temperature is 38°C or higher.",
    "The pain gets worse after 3 days instead of better.",
    "Your leg or arm goes cold, pale, numb or very painful: this is an emergency. Call 999 "
    "(or your local emergency number) if we are closed.",
)


def when_to_call(*, procedure: bool) -> tuple[str, ...]:
    """The care card's lines: when to call the team straight away."""
    return WHEN_TO_CALL_PROCEDURE if procedure else WHEN_TO_CALL_TRANSPLANT

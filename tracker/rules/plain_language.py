"""What each phase means, in words a patient reading on a phone while ill understands.

Pure Python (no Django). Sources for the content: CLINICAL.md sections 1 and 8.
"""

from tracker.rules.schedule import Phase

TRANSPLANT = {
    None: "Your treatment has not started yet. Below is what is planned and what to prepare.",
    Phase.CONDITIONING: (
        "These are the days before your transplant: first tests and getting ready, then "
        "conditioning, strong chemotherapy (sometimes with radiation) that clears space in "
        "your bone marrow for the new cells. Your plan below shows what happens on which day."
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
    Phase.CONDITIONING: "You are getting ready for your procedure. Follow the steps below.",
    Phase.DAY_ZERO: (
        "Today is the day of your procedure. Cells are taken from your hip bone, prepared, "
        "and injected on the same day. It takes a few hours."
    ),
    Phase.ENGRAFTMENT: (
        "You are recovering from your procedure. Some pain for a few days is normal; follow "
        "the after-care advice below and call the team if it gets worse."
    ),
    Phase.HUNDRED_DAY: "You are recovering. The team sees you to check how you are healing.",
    Phase.IMMUNE_RECOVERY: "The team sees you now and then to check how the treatment worked.",
    Phase.LONG_TERM: "The team sees you now and then to check how the treatment worked.",
}


def phase_explanation(phase: Phase | None, *, procedure: bool) -> str:
    """One or two plain sentences on what the phase means; None is 'not started yet'."""
    return (PROCEDURE if procedure else TRANSPLANT)[phase]

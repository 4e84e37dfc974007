"""What a course's blood counts show, by the CIBMTR rules (tracker.rules.engraftment)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from tracker.models import BloodCount, TransplantCourse
from tracker.rules import engraftment


@dataclass(frozen=True)
class EngraftmentStatus:
    """What a course's blood counts show, with the rules' reasons."""

    neutrophils: engraftment.Result
    platelets_20: engraftment.Result
    platelets_50: engraftment.Result
    graft_failure_alert: bool
    applies: bool  # False for a protocol without engraftment (a same-day procedure)


def engraftment_status(
    course: TransplantCourse, counts: Iterable[BloodCount], *, today: date
) -> EngraftmentStatus:
    """Apply the CIBMTR rules to the course's counts (fetched by the caller, in any order)."""
    counts = list(counts)
    anc = [(c.drawn_on, c.anc) for c in counts if c.anc is not None]
    platelets = [(c.drawn_on, c.platelets) for c in counts if c.platelets is not None]
    transfusions = [c.drawn_on for c in counts if c.platelet_transfusion]

    def platelets_at(threshold: int) -> engraftment.Result:
        return engraftment.platelet_engraftment(
            platelets, transfusions=transfusions, threshold=threshold, day_zero=course.day_zero
        )

    neutrophils = engraftment.neutrophil_engraftment(anc, day_zero=course.day_zero)
    failure_day = course.protocol.graft_failure_day
    return EngraftmentStatus(
        neutrophils=neutrophils,
        platelets_20=platelets_at(20),
        platelets_50=platelets_at(50),
        graft_failure_alert=engraftment.graft_failure_alert(
            neutrophils, day_zero=course.day_zero, today=today, failure_day=failure_day
        ),
        applies=failure_day is not None,
    )

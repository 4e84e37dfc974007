"""The demo data (`make run`): invented patients at different points of their course."""

from datetime import timedelta

import pytest
from django.core.management import call_command

from tracker.models import (
    Centre,
    ClinicClosure,
    Milestone,
    Patient,
    TransplantCourse,
    centre_details,
)
from tracker.queries.gvhd import acute_summary, chronic_episodes, status_words
from tracker.queries.immunity import live_vaccine_gates

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(today):
    call_command("load_protocols", verbosity=0)
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123


def course_of(mrn: str) -> TransplantCourse:
    return Patient.objects.get(mrn=mrn).courses.get()


def test_the_demo_runs_twice_without_change(demo):
    courses = TransplantCourse.objects.count()
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert TransplantCourse.objects.count() == courses == 13  # 12 patients, a tandem pair
    assert Centre.objects.count() == 1
    assert ClinicClosure.objects.count() == 3


def test_gvhd_in_the_demo(demo):
    """One allogeneic patient with acute GVHD grade II that improves, one with mild chronic
    GVHD, none on autologous courses or procedures."""
    course = course_of("DEMO-0003")
    summary = acute_summary(course)
    assert summary.peak is not None
    assert summary.peak.grade.roman == "II"
    assert summary.latest is not None
    assert summary.latest.response == "improving"
    assert status_words(course) == "Acute grade I (worst II)"
    course = course_of("DEMO-0004")
    [episode] = chronic_episodes(course)
    assert episode.active
    assert episode.latest is not None
    assert str(episode.latest.severity) == "mild"
    assert course.gvhd_chronic == "mild"
    for mrn in ("DEMO-0002", "DEMO-0005", "DEMO-0006", "DEMO-0008"):
        course = course_of(mrn)
        assert not course.has_gvhd
        assert not course.acute_gvhd.exists()


def test_immune_recovery_in_the_demo(demo, today):
    """The allogeneic demo patients stay on immunosuppression: the gates say so."""
    course = course_of("DEMO-0004")
    given = list(course.vaccinations.all())
    assert given
    assert all(vaccination.milestone_id for vaccination in given)
    verdict = live_vaccine_gates(course.patient, today)
    assert verdict.blocked_by == ["months_since_hct", "active_chronic_gvhd", "immunosuppression"]
    blocked = course_of("DEMO-0007")
    verdict = live_vaccine_gates(blocked.patient, today)
    assert verdict.blocked_by == ["active_chronic_gvhd", "immunosuppression"]
    mmr = blocked.milestones.get(step__key="mmr")
    assert mmr.completed_on is None
    assert mmr.hold == "blocked"
    assert mmr.status_on(today) == "blocked"
    assert not blocked.milestones.overdue(today).filter(step__vaccine__in=["mmr", "varicella"])
    # With chronic GVHD: a 4th PCV, not PPSV23; the PJP stop waits for the prednisolone.
    assert blocked.milestones.get(step__key="ppsv23").hold == "not_needed"
    assert blocked.milestones.get(step__key="pcv-dose-4").hold == ""
    assert blocked.milestones.get(step__key="pjp-stop").hold == "blocked"
    eligible = course_of("DEMO-0008")
    assert live_vaccine_gates(eligible.patient, today).eligible
    mmr = eligible.milestones.get(step__key="mmr")
    assert mmr.completed_on is None
    assert mmr.hold == ""
    assert mmr.status_on(today) in ("due", "overdue")
    jo = course_of("DEMO-0003")
    assert jo.ivig_doses.count() == 1
    assert jo.immunosuppression.filter(stopped_on__isnull=True).count() == 1


def test_the_demo_has_a_tandem_pair_and_an_ended_course(demo, today):
    first, second = Patient.objects.get(mrn="DEMO-0009").courses.order_by("sequence")
    assert (second.follows, second.follow_reason, second.is_tandem) == (first, "tandem", True)
    assert first.superseded_on == second.start_date - timedelta(days=1)
    assert first.milestones.filter(hold="superseded").exists()
    assert not first.milestones.overdue(today).filter(due_date__gte=second.start_date)
    ended = course_of("DEMO-0010")
    assert (ended.end_reason, ended.end_note) == ("transferred", "Care moved nearer home")
    assert ended.milestones.filter(hold="ended").exists()
    assert not ended.milestones.filter(completed_on__gt=ended.ended_on).exists()


def test_the_demo_patient_gets_tomorrows_reminder_once(demo, today):
    """Sam Okafor asked for reminders and goes home tomorrow: one e-mail, however often the
    worker sweeps; the nurse gets the morning e-mail of her Today page."""
    from datetime import datetime

    from django.core import mail
    from django.utils import timezone

    from tracker.services.reminders import send_due

    morning = timezone.make_aware(datetime.combine(today, datetime.min.time()).replace(hour=9))
    send_due(at=morning)
    send_due(at=morning + timedelta(minutes=15))
    sam = [m for m in mail.outbox if m.to == ["sam.okafor@example.org"]]
    assert len(sam) == 1
    assert "tomorrow" in sam[0].body
    assert [m.to for m in mail.outbox if m not in sam] == [["robin.ellis@example.org"]]


def test_the_demo_centre_gives_numbers_and_closes_on_holidays(demo, today):
    centre = centre_details()
    assert centre.day_phone == "01632 960 100"
    assert centre.out_of_hours_phone == "01632 960 999"
    assert centre.clinic.closed_weekdays == {5, 6}
    christmas = ClinicClosure.objects.get(reason="Christmas Day").day
    assert christmas.month == 12
    assert christmas.day == 25
    assert today <= christmas <= today + timedelta(days=366)


def test_the_demo_clinic_visits_fall_on_open_days(demo):
    """Planned after the centre's clinic days were set: no visit still to come on a closed
    day whose window has an open day."""
    clinic = centre_details().clinic
    for milestone in Milestone.objects.filter(step__at_clinic=True, completed_on__isnull=True):
        if clinic.is_closed(milestone.due_date):
            assert (
                clinic.open_day(milestone.due_date, milestone.window_start, milestone.window_end)
                is None
            ), milestone


def test_the_demo_has_patients_of_each_same_day_procedure_with_logins(demo):
    for username, mrn in (("patient-knee", "DEMO-0006"), ("patient-leg", "DEMO-0011")):
        patient = Patient.objects.get(mrn=mrn)
        assert patient.user.username == username
        assert patient.courses.get().protocol.phase_scheme.procedure
    found = Patient.objects.search("Kowalski, Tomasz")
    assert [patient.mrn for patient in found] == ["DEMO-0011"]

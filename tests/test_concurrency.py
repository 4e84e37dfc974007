"""Several people on one course at once: ticks, completions, counts and Day Zero moves.

Real threads, each with its own database connection and its own logged-in client, on SQLite
(IMMEDIATE transactions) and on PostgreSQL (the course row lock). Asserted: no 500, no lost
write, engraftment right at the end, and no history row that repeats or invents a value.
"""

import json
import threading
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from tests.factories import (
    PatientFactory,
    StepFactory,
    engraftment_protocol,
    start_course,
    user_in,
)
from tracker import clock, roles
from tracker.models import BloodCount, ChecklistItem, CourseEvent, Milestone
from tracker.rules.engraftment import neutrophil_engraftment

pytestmark = pytest.mark.django_db(transaction=True)

ANC = [0.8, 0.4, 0.2] + [0.1] * 9 + [0.6, 0.9, 1.2] + [1.5] * 6  # Day 0 … Day +20
ITEMS = 12


def run_together(*jobs):
    """Run each job in its own thread, all released at once; return what they returned."""
    start = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)
    errors: list = []

    def runner(index, job):
        try:
            start.wait()
            results[index] = job()
        except Exception as error:  # noqa: BLE001 (reported below, with the thread's job)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=runner, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ward(db):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    nurses = [user_in(roles.CLINIC_STAFF, username=f"nurse{n}") for n in range(3)]
    protocol = engraftment_protocol(name="Concurrency (test)")
    StepFactory(
        protocol=protocol,
        key="ward-round",
        title="Ward round",
        day=10,
        checklist="\n".join(f"Check {n}" for n in range(ITEMS)),
    )
    today = clock.today()
    course = start_course(
        patient=PatientFactory(),
        protocol=protocol,
        day_zero=today - timedelta(days=len(ANC) - 1),
        by=coordinator,
    )
    return coordinator, nurses, course


@pytest.mark.parametrize("round_", range(3))
def test_many_writers_on_one_course(ward, round_):
    coordinator, nurses, course = ward
    day_zero = course.day_zero
    items = list(ChecklistItem.objects.filter(milestone__step__key="ward-round"))
    to_complete = list(
        Milestone.objects.filter(course=course, step__key__in=["conditioning", "infusion"])
    )

    def ticks(user):
        client = client_for(user)
        return [
            client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"}).status_code
            for item in items
        ]

    def counts(user, days):
        client = client_for(user)
        url = reverse("counts_add", args=[course.code])
        return [
            client.post(
                url, {"drawn_on": (day_zero + timedelta(days=n)).isoformat(), "anc": str(ANC[n])}
            ).status_code
            for n in days
        ]

    def completions(user):
        client = client_for(user)
        return [
            client.post(
                reverse("milestone_complete", args=[m.code]),
                {"completed_on": m.due_date.isoformat()},
            ).status_code
            for m in to_complete
        ]

    def moves(user):
        """Day Zero one day later, then back: each from a fresh preview, as a person would."""
        client = client_for(user)
        url = reverse("day_zero_move", args=[course.code])
        statuses = []
        for target, source in ((day_zero + timedelta(days=1), day_zero), (day_zero, None)):
            source = source or day_zero + timedelta(days=1)
            data = {
                "day_zero": target.isoformat(),
                "reason": "test",
                "from_day_zero": source.isoformat(),
                "confirm": "1",
            }
            statuses.append(client.post(url, data).status_code)
        return statuses

    days = list(range(len(ANC)))
    results = run_together(
        lambda: ticks(nurses[0]),
        lambda: ticks(nurses[1]),
        lambda: counts(nurses[0], days[0::3]),
        lambda: counts(nurses[1], days[1::3]),
        lambda: counts(nurses[2], days[2::3]),
        lambda: completions(nurses[2]),
        lambda: moves(coordinator),
    )
    statuses = Counter(status for result in results for status in result)
    assert all(status < 500 for status in statuses), statuses

    # No lost write.
    course.refresh_from_db()
    assert course.day_zero == day_zero
    assert BloodCount.objects.filter(course=course).count() == len(ANC)
    assert all(
        item.is_checked for item in ChecklistItem.objects.filter(pk__in=[i.pk for i in items])
    )
    for milestone in to_complete:
        milestone.refresh_from_db()
        assert milestone.completed_on is not None

    # Engraftment right at the end, from all the counts.
    anc = [(c.drawn_on, c.anc) for c in BloodCount.objects.filter(course=course)]
    expected = neutrophil_engraftment(anc, day_zero=course.day_zero)
    engraftment = Milestone.objects.get(course=course, step__key="anc")
    assert expected.date == day_zero + timedelta(days=12)
    assert (engraftment.completed_on, engraftment.computed) == (expected.date, True)

    # History: each tick recorded once, by whoever ticked first; no row repeats its previous.
    for item in ChecklistItem.objects.filter(pk__in=[i.pk for i in items]):
        rows = list(item.history.order_by("history_id"))
        ticked = [row for row in rows if row.checked_at is not None]
        assert len(ticked) == 1, [(r.history_type, r.checked_at) for r in rows]
        assert ticked[0].history_user_id == item.checked_by_id
    for milestone in Milestone.objects.filter(course=course):
        rows = list(milestone.history.order_by("history_id"))
        for before, after in zip(rows, rows[1:], strict=False):
            assert after.diff_against(before).changed_fields, (milestone, after.history_id)
        completed = {row.completed_on for row in rows if row.completed_on is not None}
        if milestone.step.key == "anc":
            # Computed from the counts known at each moment: always a day with ANC >= 0.5.
            allowed = {day for day, value in anc if value >= Decimal("0.5")}
        else:
            allowed = {m.due_date for m in to_complete}
        assert completed <= allowed, (milestone, completed)


def test_gvhd_writers_on_one_course(ward):
    """Three nurses stage acute GVHD on different days at once, and two of them record a
    chronic GVHD diagnosis at the same moment: every assessment is kept, the course's GVHD
    columns match the rows, and only one diagnosis is made (the other is told why)."""
    coordinator, nurses, course = ward
    day_zero = course.day_zero
    rashes = [0, 10, 30, 60, 20, 5]  # skin stage 0, 1, 2, 3, 1, 1

    def stage(user, days):
        client = client_for(user)
        return [
            client.post(
                reverse("gvhd_acute_add", args=[course.code]),
                {
                    "assessed_on": (day_zero + timedelta(days=day)).isoformat(),
                    "bsa_percent": str(rashes[day - 1]),
                    "bilirubin": "1",
                    "bilirubin_unit": "mg/dL",
                    "stool_ml_per_day": "100",
                },
            ).status_code
            for day in days
        ]

    def diagnose(user):
        scores = dict.fromkeys(
            ["mouth", "eyes", "gi_tract", "liver", "lungs", "joints_fascia", "genital_tract"], "0"
        )
        return client_for(user).post(
            reverse("gvhd_chronic_diagnose", args=[course.code]),
            {"assessed_on": (day_zero + timedelta(days=5)).isoformat(), "skin": "1", **scores},
            headers={"HX-Request": "true"},
        )

    staged = run_together(
        lambda: stage(nurses[0], [1, 4]),
        lambda: stage(nurses[1], [2, 5]),
        lambda: stage(nurses[2], [3, 6]),
        lambda: diagnose(nurses[0]),
        lambda: diagnose(nurses[1]),
    )
    assert [code for codes in staged[:3] for code in codes] == [302] * 6
    answers = staged[3:]
    assert [answer.status_code for answer in answers] == [200, 200]
    refused = [answer for answer in answers if "already" in answer.text]
    assert len(refused) == 1
    course.refresh_from_db()
    assert course.acute_gvhd.count() == 6
    assert course.chronic_gvhd.count() == 1
    # The latest by date (Day 6: rash 5 %) is grade I; the worst (Day 4: 60 %) grade II.
    assert (course.gvhd_acute_grade, course.gvhd_acute_peak, course.gvhd_chronic) == (1, 2, "mild")


def test_immune_recovery_writers_on_one_course(ward):
    """Two nurses record the same vaccine dose at the same moment while a third records
    immunosuppression and a coordinator moves Day Zero: one dose is kept (the other nurse is
    told why), every record is a course event, and the doses' milestones stay consistent."""
    coordinator, nurses, course = ward
    given_on = course.day_zero + timedelta(days=5)

    def vaccinate(user):
        return client_for(user).post(
            reverse("vaccination_add", args=[course.code]),
            {"vaccine": "pcv", "dose": "1", "given_on": given_on.isoformat()},
            headers={"HX-Request": "true"},
        )

    def drug(user):
        return (
            client_for(user)
            .post(
                reverse("drug_add", args=[course.code]),
                {"drug": "Ciclosporin", "started_on": course.day_zero.isoformat(), "counts": "on"},
            )
            .status_code
        )

    def move(user):
        return (
            client_for(user)
            .post(
                reverse("day_zero_move", args=[course.code]),
                {
                    "day_zero": (course.day_zero - timedelta(days=1)).isoformat(),
                    "from_day_zero": course.day_zero.isoformat(),
                    "reason": "Test",
                    "confirm": "1",
                },
            )
            .status_code
        )

    first, second, drugged, moved = run_together(
        lambda: vaccinate(nurses[0]),
        lambda: vaccinate(nurses[1]),
        lambda: drug(nurses[2]),
        lambda: move(coordinator),
    )
    assert (first.status_code, second.status_code, drugged) == (200, 200, 302)
    assert moved == 302
    course.refresh_from_db()
    assert course.day_zero == given_on - timedelta(days=6)
    assert sum("already recorded" in answer.text for answer in (first, second)) == 1
    assert course.vaccinations.count() == 1
    assert course.immunosuppression.count() == 1
    kinds = Counter(CourseEvent.objects.filter(course=course).values_list("kind", flat=True))
    assert kinds["vaccination_added"] == 1
    assert kinds["immunosuppression_started"] == 1


def test_writers_on_both_courses_of_a_patient(ward):
    """Nurses tick the earlier course's ward round and record its registry forms while a
    coordinator moves the later transplant's Day Zero (which writes to both courses) and
    another ends the later course: no deadlock, no 500, every write kept."""
    from tracker import services

    coordinator, nurses, first = ward
    second_coordinator = user_in(roles.COORDINATOR, username="alex")
    later = services.start_course(
        patient=first.patient,
        protocol=engraftment_protocol(name="Second (test)"),
        day_zero=clock.today() + timedelta(days=30),
        by=coordinator,
        follows=first,
        reason="relapse",
    )
    items = list(ChecklistItem.objects.filter(milestone__course=first)[:4])
    pre_ted = first.registry_reports.get(key="pre_ted")

    def tick(user, item):
        return (
            client_for(user)
            .post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
            .status_code
        )

    def submit(user):
        return (
            client_for(user)
            .post(
                reverse("registry_status", args=[pre_ted.code]),
                {"status": "submitted", "submitted_on": clock.today().isoformat()},
            )
            .status_code
        )

    def move(user):
        return (
            client_for(user)
            .post(
                reverse("day_zero_move", args=[later.code]),
                {
                    "day_zero": (later.day_zero + timedelta(days=7)).isoformat(),
                    "from_day_zero": later.day_zero.isoformat(),
                    "reason": "Bed",
                    "confirm": "1",
                },
            )
            .status_code
        )

    results = run_together(
        lambda: tick(nurses[0], items[0]),
        lambda: tick(nurses[1], items[1]),
        lambda: submit(nurses[2]),
        lambda: move(coordinator),
        lambda: tick(second_coordinator, items[2]),
    )
    assert all(status in (200, 302) for status in results), results
    first.refresh_from_db()
    later.refresh_from_db()
    assert later.day_zero == clock.today() + timedelta(days=37)
    assert first.superseded_on == later.start_date - timedelta(days=1)
    assert (
        ChecklistItem.objects.filter(
            pk__in=[i.pk for i in items[:3]], checked_at__isnull=False
        ).count()
        == 3
    )
    pre_ted.refresh_from_db()
    assert pre_ted.status == "submitted"


def test_fhir_exports_while_day_zero_moves_and_items_are_ticked(ward):
    """Each export is one moment of the course (read under the course lock): every activity's
    day number agrees with the Day Zero it went out with, whichever writer came first."""
    coordinator, nurses, course = ward
    day_zero = course.day_zero
    items = list(ChecklistItem.objects.filter(milestone__step__key="ward-round"))

    def exports(user):
        client = client_for(user)
        bundles = []
        for _ in range(4):
            response = client.get(reverse("course_fhir", args=[course.code]))
            assert response.status_code == 200, response.status_code
            bundles.append(json.loads(response.content))
        return bundles

    def ticks(user):
        client = client_for(user)
        return [
            client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"}).status_code
            for item in items
        ]

    def moves(user):
        client = client_for(user)
        url = reverse("day_zero_move", args=[course.code])
        statuses = []
        for target, source in ((day_zero + timedelta(days=1), day_zero), (day_zero, None)):
            data = {
                "day_zero": target.isoformat(),
                "reason": "test",
                "from_day_zero": (source or day_zero + timedelta(days=1)).isoformat(),
                "confirm": "1",
            }
            statuses.append(client.post(url, data).status_code)
        return statuses

    first, second, ticked, moved = run_together(
        lambda: exports(nurses[0]),
        lambda: exports(nurses[1]),
        lambda: ticks(nurses[2]),
        lambda: moves(coordinator),
    )
    assert all(status < 500 for status in ticked + moved)
    for bundle in first + second:
        plan = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
        )
        exported_zero = date.fromisoformat(plan["extension"][0]["extension"][0]["valueDate"])
        for activity in plan["activity"]:
            extensions = {x["url"].rsplit("/", 1)[1]: x for x in activity["extension"]}
            due = date.fromisoformat(extensions["due-date"]["valueDate"])
            assert (due - exported_zero).days == extensions["day-number"]["valueInteger"]
        moves_seen = sum(
            1
            for e in bundle["entry"]
            if e["resource"]["resourceType"] == "Provenance"
            and e["resource"]["activity"]["coding"][0]["code"] == "day_zero_moved"
        )
        assert exported_zero == day_zero + timedelta(days=moves_seen % 2)
    assert CourseEvent.objects.filter(course=course, kind="fhir_exported").count() == 8

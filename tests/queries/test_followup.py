"""The follow-up list's rows: who is on it, the figures on each row, filters and sorts."""

from datetime import timedelta
from decimal import Decimal

import pytest

from tests.factories import PatientFactory, ProtocolFactory, StepFactory, start_course
from tests.factories import small_protocol as make_protocol
from tracker import services
from tracker.exports.csv import csv_line
from tracker.queries import followup
from tracker.queries.followup import Filters, Sort
from tracker.rules.schedule import Day100State

pytestmark = pytest.mark.django_db


@pytest.fixture
def protocol(db):
    return make_protocol(name="Allogeneic test")


@pytest.fixture
def at_day(protocol, coordinator, today):
    """A course whose today is Day +n; `done` completes every milestone due before today."""

    def build(n, *, family_name=None, done=False, protocol_=None, **patient):
        patient = PatientFactory(**({"family_name": family_name} if family_name else {}), **patient)
        course = start_course(
            patient=patient,
            protocol=protocol_ or protocol,
            day_zero=today - timedelta(days=n),
            by=coordinator,
        )
        if done:
            for milestone in course.milestones.filter(due_date__lt=today):
                services.complete_milestone(
                    milestone=milestone, on=milestone.due_date, by=coordinator, today=today
                )
        return course

    return build


def complete_day_100(course, today):
    day_100 = course.milestones.get(step__is_day_100_evaluation=True)
    services.complete_milestone(milestone=day_100, on=today, by=course.created_by, today=today)


def listed(today, **filters):
    return list(followup.follow_up_courses(today=today, filters=Filters(**filters)))


def rows(today, **filters):
    courses = followup.follow_up_courses(today=today, filters=Filters(**filters))
    return list(followup.all_rows(courses, today=today))


class TestWhoIsOnTheList:
    def test_from_the_first_day_of_conditioning(self, at_day, today):
        before, first_day = at_day(-4), at_day(-3)  # conditioning starts on Day −3
        assert listed(today) == [first_day]
        assert before not in listed(today)

    @pytest.mark.parametrize("day", [0, 12, 99, 100])
    def test_through_day_100(self, at_day, today, day):
        course = at_day(day)
        complete_day_100(course, today)  # done early: still on the list until Day +100
        assert listed(today) == [course]

    def test_after_day_100_until_the_day_100_evaluation_is_done(self, at_day, today):
        open_window, overdue, done = at_day(101), at_day(116), at_day(101)
        complete_day_100(done, today)
        assert set(listed(today)) == {open_window, overdue}

    def test_a_course_without_a_day_100_evaluation_leaves_after_day_100(
        self, at_day, today, coordinator
    ):
        procedure = ProtocolFactory(kind="procedure")
        StepFactory(protocol=procedure, key="procedure", day=0)
        day_100, day_101 = at_day(100, protocol_=procedure), at_day(101, protocol_=procedure)
        assert listed(today) == [day_100]
        assert day_101 not in listed(today)

    def test_later_patients_with_something_due_only_when_asked(self, at_day, today):
        finished = at_day(200, done=True)
        something_due = at_day(200)
        complete_day_100(something_due, today)
        assert listed(today) == []
        assert listed(today, include_later=True) == [something_due]
        assert finished not in listed(today, include_later=True)


class TestRowFigures:
    def test_next_due_overdue_count_and_day_100_state(self, at_day, today):
        course = at_day(12)  # nothing done: conditioning (3) and infusion and clinic 1 overdue
        [row] = rows(today)
        assert row.today_label == "Day +12"
        assert (row.next_due_date, row.next_due_label) == (today + timedelta(days=2), "Day +14")
        assert row.next_due_title == "Clinic visit (2)"
        assert row.overdue_count == 5
        assert row.day_100 == Day100State.NOT_YET_OPEN
        assert row.url == course.get_absolute_url()

    def test_a_milestone_still_in_its_window_is_next_not_overdue(self, at_day, today):
        at_day(25, done=True)  # Day +30 evaluation: window Day +23 … +37
        [row] = rows(today)
        assert row.next_due_title == "Clinic visit (4)"
        assert row.overdue_count == 0

    @pytest.mark.parametrize(
        ("day", "state"),
        [
            (84, Day100State.NOT_YET_OPEN),
            (85, Day100State.OPEN),
            (100, Day100State.DUE_TODAY),
            (115, Day100State.OPEN),
            (116, Day100State.OVERDUE),
        ],
    )
    def test_day_100_state_at_the_window_edges(self, at_day, today, day, state):
        at_day(day)
        [row] = rows(today)
        assert row.day_100 == state

    def test_day_100_done_outside_its_window_is_done(self, at_day, today):
        course = at_day(80)
        complete_day_100(course, today)  # Day +80: before the window opens
        [row] = rows(today)
        assert row.day_100 == Day100State.DONE

    def test_nothing_left_to_do_has_no_next_due(self, at_day, today):
        course = at_day(100, done=True)
        for milestone in course.milestones.filter(completed_on__isnull=True):
            services.complete_milestone(
                milestone=milestone, on=today, by=course.created_by, today=today
            )
        [row] = rows(today)
        assert (row.next_due_date, row.next_due_label, row.next_due_title) == (None, "", "")

    def test_csv_line(self, at_day, today):
        course = at_day(12, family_name="Ørsted", given_name="Åsa", mrn="MRN-77")
        [row] = rows(today)
        assert csv_line(row) == [
            "MRN-77",
            "Ørsted",
            "Åsa",
            "Allogeneic",
            "Allogeneic test",
            course.day_zero.isoformat(),
            "Day +12",
            "2026-11-23",
            "Day +14",
            "Clinic visit (2)",
            "5",
            "Not yet open",
            "",  # no engraftment milestones in this protocol
            "",  # no GVHD recorded
        ]


class TestFilters:
    def test_kind(self, at_day, today, protocol):
        allo = at_day(10)
        auto = at_day(10, protocol_=make_protocol(kind="autologous", donor_type="self"))
        assert listed(today, kind="autologous") == [auto]
        assert listed(today, kind="allogeneic") == [allo]

    def test_overdue_only(self, at_day, today):
        behind, on_time = at_day(12), at_day(12, done=True)
        assert listed(today, overdue_only=True) == [behind]
        assert on_time in listed(today)

    def test_day_100_window_open(self, at_day, today):
        at_day(84)
        opened, due_today, last_day = at_day(85), at_day(100), at_day(115)
        overdue, done = at_day(116), at_day(90)
        complete_day_100(done, today)
        assert set(listed(today, window_open=True)) == {opened, due_today, last_day}
        assert overdue not in listed(today, window_open=True)

    def test_due_this_week(self, at_day, today):
        busy = at_day(12, done=True)  # clinic visit on Day +14
        quiet = at_day(50, done=True)  # next: pcv-1 about Day +92
        assert listed(today, due_this_week=True) == [busy]
        assert quiet in listed(today)

    @pytest.mark.parametrize("q", ["lovel", "LOVELACE", "ada lov", "MRN-42"])
    def test_search_by_name_or_mrn(self, at_day, today, q):
        ada = at_day(12, given_name="Ada", family_name="Lovelace", mrn="MRN-42")
        at_day(12, given_name="Alan", family_name="Turing", mrn="MRN-43")
        assert listed(today, q=q) == [ada]


class TestSorts:
    def test_by_next_due_date_then_nothing_planned_last(self, at_day, today):
        nothing_left = at_day(100, done=True)
        for milestone in nothing_left.milestones.filter(completed_on__isnull=True):
            services.complete_milestone(
                milestone=milestone, on=today, by=nothing_left.created_by, today=today
            )
        later, sooner = at_day(50, done=True), at_day(12, done=True)
        assert listed(today, sort=Sort.NEXT_DUE) == [sooner, later, nothing_left]

    def test_by_day_number(self, at_day, today):
        day_50, day_minus_2, day_12 = at_day(50), at_day(-2), at_day(12)
        assert listed(today, sort=Sort.DAY) == [day_minus_2, day_12, day_50]

    def test_by_most_overdue(self, at_day, today):
        none, five = at_day(12, done=True), at_day(12)
        assert listed(today, sort=Sort.OVERDUE) == [five, none]


class TestThisWeek:
    def test_pending_milestones_of_the_next_seven_days_by_date(self, at_day, today):
        course = at_day(12, done=True)
        days = followup.week_days(today=today)
        assert [(d.day, d.count) for d in days if d.count] == [(today + timedelta(days=2), 1)]
        [row] = followup.week_rows(followup.due_on(today + timedelta(days=2)))
        assert (row.family_name, row.title, row.day_label) == (
            course.patient.family_name,
            "Clinic visit (2)",
            "Day +14",
        )
        at_day(-5)  # conditioning Day −3 … −1 falls on days 2, 3, 4 from today
        days = followup.week_days(today=today)
        assert sum(d.count for d in days) == 1 + 4  # + infusion on day 5

    def test_every_day_of_the_week_is_counted_even_when_nothing_is_due(self, today):
        days = followup.week_days(today=today)
        assert [d.day for d in days] == [today + timedelta(days=n) for n in range(7)]
        assert [d.count for d in days] == [0] * 7
        assert [d.is_today for d in days] == [True] + [False] * 6

    def test_a_row_links_to_its_milestone_on_the_course_page(self, at_day, today):
        course = at_day(-5)
        milestone = course.milestones.get(due_date=today + timedelta(days=5))
        [row] = followup.week_rows(followup.due_on(today + timedelta(days=5)))
        assert row.url == f"{course.get_absolute_url()}#milestone-{milestone.code}"
        assert (row.title, row.window_label) == ("Stem cell infusion", milestone.window_label)


class TestEngraftmentColumn:
    """The list shows the status the course page shows: the same rules on the same counts."""

    @pytest.fixture
    def engrafting(self, db):
        protocol = make_protocol(name="With engraftment", tracks_engraftment=True)
        StepFactory(protocol=protocol, key="anc", day=14, window_after=16, engraftment="neutrophil")
        StepFactory(protocol=protocol, key="plt", day=21, window_after=60, engraftment="platelet")
        return protocol

    def row(self, today, course):
        return {row.mrn: row for row in rows(today, include_later=True)}[course.patient.mrn]

    def counts(self, course, today, anc, platelets=None):
        """Daily counts from Day 0 until yesterday, or as many as given."""
        rows = []
        for n, value in enumerate(anc):
            drawn_on = course.day_zero + timedelta(days=n)
            if drawn_on > today:
                break
            rows.append(
                {
                    "drawn_on": drawn_on,
                    "anc": Decimal(str(value)) if value is not None else None,
                    "platelets": Decimal(str(platelets[n])) if platelets else None,
                    "platelet_transfusion": False,
                }
            )
        services.record_counts(course=course, rows=rows, by=course.created_by, today=today)

    def test_waiting(self, at_day, today, engrafting):
        course = at_day(12, protocol_=engrafting)
        self.counts(course, today, [0.9, 0.4] + [0.1] * 11)
        row = self.row(today, course)
        assert (row.engraftment.summary, row.graft_failure_alert) == ("Waiting", False)

    def test_engrafted_days(self, at_day, today, engrafting):
        course = at_day(40, protocol_=engrafting)
        anc = [0.9, 0.4] + [0.1] * 13 + [0.8] * 26  # ANC ≥ 0.5 from Day +15
        platelets = [90, 40] + [10] * 20 + [60] * 19  # ≥ 20 from Day +22, none transfused
        self.counts(course, today, anc, platelets)
        assert self.row(today, course).engraftment.summary == (
            "Neutrophils Day +15, platelets Day +22"
        )

    @pytest.mark.parametrize(("day", "alert"), [(30, False), (31, True)])
    def test_graft_failure_alert_after_day_30_for_blood_stem_cells(
        self, at_day, today, engrafting, day, alert
    ):
        course = at_day(day, protocol_=engrafting)
        self.counts(course, today, [0.4] + [0.1] * 40)
        assert self.row(today, course).graft_failure_alert is alert

    def test_a_cord_graft_alerts_after_day_42_whatever_the_protocol(
        self, at_day, today, engrafting
    ):
        course = at_day(35, protocol_=engrafting)
        course.graft_source = "cord_blood"
        course.save(update_fields=["graft_source"])
        self.counts(course, today, [0.4] + [0.1] * 40)
        assert self.row(today, course).graft_failure_alert is False

    def test_no_counts_after_the_failure_day_is_a_warning_not_an_alert(
        self, at_day, today, engrafting
    ):
        course = at_day(35, protocol_=engrafting)
        self.counts(course, today, [0.4] + [0.1] * 20)  # to Day +20 only
        row = self.row(today, course)
        assert row.graft_failure_alert is False
        assert row.engraftment.summary == "No ANC since Day +20"

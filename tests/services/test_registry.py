"""Registry forms on courses (CLINICAL.md section 4): planned with the course, re-dated when
Day Zero moves, closed by a later transplant or a death (and opened again when that is
undone), their status and the transplant details changed by the care team, audited."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError

from tests.factories import small_protocol, start_course
from tracker import services
from tracker.models import EventKind, GraftSource, Kind, RegistryReport
from tracker.models.choices import FormStatus
from tracker.rules import registry as rules
from tracker.services import registry

pytestmark = pytest.mark.django_db

DAY_ZERO = date(2025, 6, 2)


def statuses(course):
    return dict(course.registry_reports.values_list("key", "status"))


def report(course, key):
    return course.registry_reports.get(key=key)


@pytest.fixture
def first(patient, coordinator, today):
    protocol = small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self")
    return start_course(patient=patient, protocol=protocol, day_zero=DAY_ZERO, by=coordinator)


class TestPlanned:
    def test_a_transplant_has_its_forms_dated_by_the_rules(self, first):
        reports = list(first.registry_reports.all())
        expected = rules.registry_forms(DAY_ZERO)
        assert [r.key for r in reports] == [f.key for f in expected]
        for saved, form in zip(reports, expected, strict=True):
            assert (saved.target, saved.window_start, saved.window_end, saved.due) == (
                form.target,
                form.window_start,
                form.window_end,
                form.due,
            )
        assert set(statuses(first).values()) == {FormStatus.NOT_STARTED}

    def test_a_procedure_has_none(self, patient, coordinator, today):
        protocol = small_protocol(kind=Kind.PROCEDURE, donor_type="self")
        course = start_course(patient=patient, protocol=protocol, by=coordinator)
        assert not course.registry_reports.exists()

    def test_moving_day_zero_moves_every_date(self, patient, coordinator, today):
        course = start_course(
            patient=patient, protocol=small_protocol(), day_zero=date(2026, 12, 1), by=coordinator
        )
        services.move_day_zero(course=course, day_zero=date(2026, 12, 8), by=coordinator)
        day_100 = report(course, "100d")
        assert (day_100.target, day_100.window_start, day_100.window_end, day_100.due) == (
            date(2027, 3, 18),
            date(2027, 3, 3),
            date(2027, 4, 2),
            date(2027, 4, 17),
        )
        course.refresh_from_db()
        # The follow-up list's Day-100 window is the registry's.
        assert (course.day_100_window_start, course.day_100_window_end) == (
            date(2027, 3, 3),
            date(2027, 4, 2),
        )

    def test_the_centres_own_windows(self, patient, coordinator, today, settings):
        settings.REGISTRY_RULES = rules.RegistryRules(windows={"100d": (80, 120), "6m": (150, 210)})
        course = start_course(
            patient=patient, protocol=small_protocol(), day_zero=date(2026, 12, 1), by=coordinator
        )
        assert report(course, "100d").window_start == date(2026, 12, 1) + timedelta(days=80)
        course.refresh_from_db()
        assert course.day_100_window_end == date(2026, 12, 1) + timedelta(days=120)


class TestClosed:
    def follow(self, first, coordinator, day_zero):
        return services.start_course(
            patient=first.patient,
            protocol=small_protocol(),
            day_zero=day_zero,
            by=coordinator,
            follows=first,
            reason="relapse",
        )

    def test_a_later_transplant_closes_the_earlier_sequence(self, first, coordinator, today):
        # Conditioning from Day -3 of 1 Dec 2025: the contact date is 27 Nov 2025 (Day +178),
        # inside the 6-month window (Day 150-210): the 6-month form reports it.
        later = self.follow(first, coordinator, date(2025, 12, 1))
        first.refresh_from_db()
        assert first.superseded_on == date(2025, 11, 27)
        assert report(first, "6m").last_contact_on == date(2025, 11, 27)
        now = statuses(first)
        assert now["100d"] == now["6m"] == FormStatus.NOT_STARTED  # still to send
        assert {k for k, s in now.items() if s == FormStatus.NOT_REQUIRED} == {
            f.key for f in rules.registry_forms(DAY_ZERO)[4:]
        }
        assert set(statuses(later).values()) == {FormStatus.NOT_STARTED}  # its own sequence
        event = first.events.get(kind=EventKind.REGISTRY_FORMS_CLOSED)
        assert (event.data["form"], event.data["not_required"]) == ("6-month follow-up", 13)

    def test_moving_the_later_day_zero_moves_the_close(self, first, coordinator, today):
        later = self.follow(first, coordinator, date(2025, 12, 1))
        services.move_day_zero(course=later, day_zero=date(2026, 6, 10), by=coordinator)
        first.refresh_from_db()
        # Contact 6 Jun 2026, Day +369: after Day 365, the 1-year form reports it.
        assert report(first, "1y").last_contact_on == date(2026, 6, 6)
        assert report(first, "6m").last_contact_on is None
        assert report(first, "6m").status == FormStatus.NOT_STARTED
        assert report(first, "2y").status == FormStatus.NOT_REQUIRED

    def test_a_form_decided_by_hand_is_left(self, first, coordinator, today):
        services.registry.set_form_status(
            report=report(first, "2y"), status=FormStatus.IN_PROGRESS, by=coordinator
        )
        self.follow(first, coordinator, date(2025, 12, 1))
        # In progress, after the form that reports the last contact: not required now.
        assert report(first, "2y").status == FormStatus.NOT_REQUIRED

    def test_a_death_closes_and_reopening_undoes_it(self, first, coordinator, today):
        died = date(2025, 8, 1)  # Day +60: the 100-day form reports it
        services.end_course(course=first, reason="died", on=died, by=coordinator)
        assert report(first, "100d").last_contact_on == died
        assert report(first, "6m").status == FormStatus.NOT_REQUIRED
        services.reopen_course(course=first, by=coordinator, reason="Wrong patient")
        assert set(statuses(first).values()) == {FormStatus.NOT_STARTED}
        assert report(first, "100d").last_contact_on is None

    @pytest.mark.parametrize("reason", ["relapse", "transferred", "completed", "lost_to_follow_up"])
    def test_other_ends_keep_the_forms_due(self, first, coordinator, today, reason):
        services.end_course(
            course=first, reason=reason, on=date(2026, 1, 5), by=coordinator, note="Why"
        )
        assert set(statuses(first).values()) == {FormStatus.NOT_STARTED}


class TestStatus:
    def test_submitted_with_its_date_audited_once(self, first, coordinator, today):
        form = report(first, "pre_ted")
        for _ in range(2):
            registry.set_form_status(
                report=form, status="submitted", submitted_on=date(2025, 6, 20), by=coordinator
            )
        form.refresh_from_db()
        assert (form.status, form.submitted_on, form.changed_by) == (
            "submitted",
            date(2025, 6, 20),
            coordinator,
        )
        event = first.events.get(kind=EventKind.REGISTRY_FORM_CHANGED)
        assert event.data == {
            "form": "Pre-TED (forms 2400/2402)",
            "was": "Not started",
            "status": "Submitted",
            "submitted_on": "2025-06-20",
        }
        registry.set_form_status(report=form, status="in_progress", by=coordinator)
        form.refresh_from_db()
        assert (form.status, form.submitted_on) == ("in_progress", None)

    @pytest.mark.parametrize(
        ("status", "submitted_on", "field", "message"),
        [
            ("submitted", None, "submitted_on", "Enter the day the form was submitted."),
            ("submitted", date(2026, 11, 22), "submitted_on", "cannot be in the future"),
            ("submitted", date(2025, 6, 1), "submitted_on", "after Day Zero (2 Jun 2025)"),
            ("in_progress", date(2025, 7, 1), "submitted_on", "Only a submitted form"),
            ("sent", None, "status", "Choose the form's status."),
        ],
    )
    def test_refused(self, first, coordinator, today, status, submitted_on, field, message):
        form = report(first, "2006")
        with pytest.raises(ValidationError) as raised:
            registry.set_form_status(
                report=form, status=status, submitted_on=submitted_on, by=coordinator
            )
        assert re.search(re.escape(message), raised.value.message_dict[field][0])
        form.refresh_from_db()
        assert form.status == FormStatus.NOT_STARTED


class TestDetails:
    def test_recorded_in_words_and_only_when_changed(self, patient, coordinator, today):
        course = start_course(patient=patient, protocol=small_protocol(), by=coordinator)
        values = {
            "indication": "aml",
            "disease_status": "cr1",
            "donor_relation": "sibling",
            "hla_match": "matched",
            "donor_cmv": "positive",
            "recipient_cmv": "negative",
        }
        registry.record_registry_details(course=course, by=coordinator, **values)
        registry.record_registry_details(course=course, by=coordinator, **values)
        event = course.events.get(kind=EventKind.REGISTRY_DETAILS_CHANGED)
        assert event.data["changes"]["Primary disease"] == [
            "not recorded",
            "Acute myeloid leukaemia (AML)",
        ]
        course.refresh_from_db()
        assert course.get_donor_relation_display() == "Sibling"

    def test_donor_details_only_for_an_allogeneic_transplant(self, first, coordinator):
        with pytest.raises(ValidationError) as raised:
            registry.record_registry_details(
                course=first, by=coordinator, indication="myeloma", donor_relation="sibling"
            )
        assert "allogeneic" in raised.value.message_dict["donor_relation"][0]
        first.refresh_from_db()
        assert first.indication == ""  # nothing half-saved

    @pytest.mark.parametrize(
        ("graft", "values", "field"),
        [
            (GraftSource.PBSC, {"cord_units": 1}, "cord_units"),
            (GraftSource.PBSC, {"donor_relation": "cord"}, "donor_relation"),
            (GraftSource.PBSC, {"hla_match": "cord_5_6"}, "hla_match"),
            (GraftSource.CORD_BLOOD, {"cord_units": 3}, "cord_units"),
            (GraftSource.CORD_BLOOD, {"donor_relation": "sibling"}, "donor_relation"),
            (GraftSource.CORD_BLOOD, {"hla_match": "matched"}, "hla_match"),
        ],
    )
    def test_the_donor_fits_the_graft(self, patient, coordinator, today, graft, values, field):
        course = services.start_course(
            patient=patient,
            protocol=small_protocol(),
            day_zero=today,
            by=coordinator,
            graft_source=graft,
        )
        with pytest.raises(ValidationError) as raised:
            registry.record_registry_details(course=course, by=coordinator, **values)
        assert field in raised.value.message_dict


class TestSettings:
    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("REGISTRY_WINDOWS", "100d=115-85"),
            ("REGISTRY_WINDOWS", "100d=85"),
            ("REGISTRY_DUE_DAYS", "pre_ted=30"),
            ("REGISTRY_YEARLY_WINDOW", "x-"),
        ],
    )
    def test_a_typo_fails_loudly(self, monkeypatch, name, value):
        from tracker import settings as project

        monkeypatch.setattr(project, name, value)
        with pytest.raises((ImproperlyConfigured, ValueError)):
            project.registry_rules()

    def test_the_defaults_are_cibmtrs(self):
        from tracker import settings as project

        assert project.registry_rules() == rules.RegistryRules()
        assert RegistryReport._meta.get_field("status").default == FormStatus.NOT_STARTED

"""Factories for tests: invented people, a small protocol, courses planned by the service."""

import importlib
from datetime import date

import factory
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tracker import roles, services
from tracker.models import Kind, Patient, Protocol, ProtocolStep
from tracker.models.patients import fold

PASSWORD = "correct-horse-battery"  # noqa: S105 (test-only)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Jo"
    last_name = factory.Sequence(lambda n: f"Smith{n}")
    password = factory.django.Password(PASSWORD)


def ensure_role_groups() -> None:
    """The role groups, made by the migrations' own code if they are missing.

    A test with a live server (the browser tests) ends by emptying the database, which takes
    the groups the migrations made with it; any test after it makes them again here, so no
    test depends on the order the suite runs in.
    """
    if Group.objects.filter(name=roles.PATIENT).exists():
        return
    importlib.import_module("tracker.migrations.0003_role_groups").create_groups(apps, None)
    importlib.import_module("tracker.migrations.0006_blood_count_permissions").grant(apps, None)
    importlib.import_module("tracker.migrations.0011_engraftment_data").grant(apps, None)
    importlib.import_module("tracker.migrations.0015_gvhd_permissions").grant(apps, None)
    importlib.import_module("tracker.migrations.0017_immune_recovery_permissions").grant(apps, None)
    importlib.import_module("tracker.migrations.0023_course_life_permissions").grant(apps, None)
    importlib.import_module("tracker.migrations.0025_registry_data").grant(apps, None)
    importlib.import_module("tracker.migrations.0027_reminders_permissions").grant(apps, None)
    importlib.import_module("tracker.migrations.0032_fhir_export_grants").grant(apps, None)


def user_in(group_name: str, **kwargs):
    """A user in one of the role groups (tracker.roles)."""
    ensure_role_groups()
    user = UserFactory(**kwargs)
    user.groups.add(Group.objects.get(name=group_name))
    return user


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"F{n:06d}")  # never a fixed test MRN (MRN000100)
    given_name = "Ada"
    family_name = factory.Sequence(lambda n: f"Lovelace{n}")
    date_of_birth = date(1970, 5, 17)
    # As Patient.clean keeps it for every form and service.
    search_text = factory.LazyAttribute(lambda p: fold(f"{p.given_name} {p.family_name} {p.mrn}"))


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    slug = factory.Sequence(lambda n: f"protocol-{n}")
    name = factory.Sequence(lambda n: f"Test protocol {n}")
    kind = Kind.ALLOGENEIC
    graft_source = "pbsc"
    donor_type = "matched_sibling"


class StepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolStep

    protocol = factory.SubFactory(ProtocolFactory)
    key = factory.Sequence(lambda n: f"step-{n}")
    title = factory.Sequence(lambda n: f"Step {n}")
    day = 0
    patient_text = "Plain words for the patient."
    checklist = "First thing\nSecond thing"


def small_protocol(**kwargs) -> Protocol:
    """A protocol with a conditioning repeat, Day 0, a windowed visit, a weekly repeat, months."""
    protocol = ProtocolFactory(**kwargs)
    StepFactory(
        protocol=protocol,
        key="conditioning",
        title="Conditioning chemotherapy",
        day=-3,
        repeat_every_days=1,
        repeat_until_day=-1,
        position=10,
    )
    StepFactory(protocol=protocol, key="infusion", title="Stem cell infusion", day=0, position=20)
    StepFactory(
        protocol=protocol,
        key="day-30",
        title="Day +30 evaluation",
        day=30,
        window_before=7,
        window_after=7,
        position=30,
    )
    StepFactory(
        protocol=protocol,
        key="clinic",
        title="Clinic visit",
        day=7,
        repeat_every_days=7,
        repeat_until_day=28,
        checklist="Bloods drawn",
        position=40,
    )
    StepFactory(
        protocol=protocol,
        key="day-100",
        title="Day +100 evaluation",
        day=100,
        window_before=15,
        window_after=15,
        is_day_100_evaluation=True,
        position=50,
    )
    StepFactory(
        protocol=protocol,
        key="pcv-1",
        title="Pneumococcal vaccine, dose 1",
        day=None,
        months=3,
        window_before=0,
        window_after=30,
        checklist="",
        position=60,
    )
    return protocol


def repeating_step(protocol=None, *, first_day, last_day, every=1, **kwargs) -> ProtocolStep:
    """A step repeated every `every` days from `first_day` to `last_day` (a long course in one
    line), added to `protocol` or to a new one: `repeating_step(...).protocol`."""
    return StepFactory(
        protocol=protocol or ProtocolFactory(),
        key=kwargs.pop("key", "daily"),
        day=first_day,
        repeat_every_days=every,
        repeat_until_day=last_day,
        **kwargs,
    )


def start_course(*, patient=None, protocol=None, day_zero=date(2026, 11, 21), by=None):
    return services.start_course(
        patient=patient or PatientFactory(),
        protocol=protocol or small_protocol(),
        day_zero=day_zero,
        by=by or UserFactory(),
    )


def engraftment_protocol(**kwargs) -> Protocol:
    """The small protocol, tracking engraftment, with a neutrophil engraftment milestone."""
    protocol = small_protocol(tracks_engraftment=True, **kwargs)
    StepFactory(
        protocol=protocol,
        key="anc",
        title="Neutrophil engraftment",
        day=14,
        window_before=7,
        window_after=16,
        engraftment="neutrophil",
        checklist="",
    )
    return protocol

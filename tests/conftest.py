"""The cast: a coordinator, clinic staff, patient A (with a course) and patient B."""

from datetime import date

import pytest
import time_machine
from django.core.cache import caches

from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import roles

TODAY = date(2026, 11, 21)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_fragment_cache():
    """Each test starts with no course page parts kept: test databases reuse row numbers."""
    caches["pages"].clear()
    caches["fragments"].clear()


@pytest.fixture(autouse=True)
def _jobs_run_at_once():
    """Jobs run as they are enqueued, in memory (no worker, no queue file)."""
    from huey.contrib.djhuey import HUEY

    HUEY.immediate = True
    yield
    HUEY.immediate = True


class Queue:
    """The jobs queue held in memory: `run()` does what the worker would."""

    def __init__(self, huey):
        self.huey = huey

    def run(self) -> int:
        """Run every queued job; how many ran."""
        ran = 0
        while (task := self.huey.dequeue()) is not None:
            # Run as in immediate mode, which leaves the database connection open: the
            # worker's closing it would end the test's transaction.
            self.huey._immediate = True
            try:
                self.huey.execute(task)
            finally:
                self.huey._immediate = False
            ran += 1
        return ran


@pytest.fixture
def queued_jobs():
    """Jobs wait in an in-memory queue until the test runs them (`queued_jobs.run()`), as a
    worker would after the request has gone."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import MemoryStorage

    storage, immediate = HUEY.storage, HUEY._immediate
    HUEY.storage, HUEY._immediate = MemoryStorage("tests"), False
    yield Queue(HUEY)
    HUEY.storage, HUEY._immediate = storage, immediate


@pytest.fixture
def today():
    """Pin the clinic's today (noon in the clinic's time zone) for the test."""
    with time_machine.travel("2026-11-21 12:00 +00:00", tick=False):
        yield TODAY


@pytest.fixture
def coordinator(db):
    return user_in(roles.COORDINATOR, username="coordinator")


@pytest.fixture
def clinic_staff(db):
    return user_in(roles.CLINIC_STAFF, username="nurse")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


@pytest.fixture
def patient(db):
    """Patient A, with a portal login."""
    return PatientFactory(
        given_name="Ada",
        family_name="Lovelace",
        mrn="MRN000100",
        user=user_in(roles.PATIENT, username="ada"),
    )


@pytest.fixture
def patient_client(client, patient):
    client.force_login(patient.user)
    return client


@pytest.fixture
def other_patient(db):
    """Patient B, with a portal login of their own."""
    return PatientFactory(
        given_name="Charles",
        family_name="Babbage",
        mrn="MRN000200",
        user=user_in(roles.PATIENT, username="charles"),
    )


@pytest.fixture
def protocol(db):
    return small_protocol(name="Allogeneic test protocol")


@pytest.fixture
def course(patient, protocol, coordinator, today):
    """Patient A's course with Day Zero today: conditioning is done, the rest ahead."""
    return start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)


@pytest.fixture
def other_course(other_patient, protocol, coordinator, today):
    """Patient B's course, with Day Zero today."""
    return start_course(patient=other_patient, protocol=protocol, day_zero=today, by=coordinator)

from datetime import date

import pytest
import time_machine

from tests.factories import PatientFactory, UserFactory, small_protocol, start_course

TODAY = date(2026, 11, 21)


@pytest.fixture
def today():
    """Pin the clinic's today (noon in the clinic's time zone) for the test."""
    with time_machine.travel("2026-11-21 12:00 +00:00", tick=False):
        yield TODAY


@pytest.fixture
def coordinator(db):
    return UserFactory(username="coordinator")


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def patient(db):
    return PatientFactory(given_name="Ada", family_name="Lovelace", mrn="MRN000100")


@pytest.fixture
def protocol(db):
    return small_protocol(name="Allogeneic test protocol")


@pytest.fixture
def course(patient, protocol, coordinator, today):
    """A course with Day Zero today: conditioning is done, the rest ahead."""
    return start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

"""The patient's portal login and calendar subscription."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tracker import roles
from tracker.models import EventKind, Patient
from tracker.models.events import record


def _free_username(patient: Patient) -> str:
    """'patient-<mrn>', or with a number after it when that login exists already (unlinked)."""
    users = get_user_model().objects
    base = f"patient-{patient.mrn.lower()}"
    username, number = base, 1
    while users.filter(username=username).exists():
        number += 1
        username = f"{base}-{number}"
    return username


@transaction.atomic
def invite_patient(
    *, patient: Patient, email: str, by: AbstractBaseUser, build_url: Callable[[str], str]
) -> str:
    """Give a patient a portal login (once) and return a one-time link to set its password.

    `build_url` turns a path into an absolute address (request.build_absolute_uri). The link
    stops working once the password is set. It is e-mailed by a job, once the transaction has
    committed, when an address is given.
    """
    patient = (
        Patient.objects.select_for_update(of=("self",)).select_related("user").get(pk=patient.pk)
    )
    refuse_after_death(patient, "invited to the portal")
    user = patient.user
    new_login = user is None
    if user is None:
        user = get_user_model()(username=_free_username(patient), email=email)
        user.first_name, user.last_name = patient.given_name, patient.family_name
        user.set_unusable_password()
        user.full_clean()
        user.save()
        user.groups.add(Group.objects.get(name=roles.PATIENT))
        patient.user = user
        patient._history_user = by  # type: ignore[attr-defined]
        patient.save(update_fields=["user"])
    elif email and email != user.email:
        user.email = email
        user.full_clean(exclude=["password", "username"])
        user.save(update_fields=["email"])
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = build_url(path)
    address = user.email
    if address:
        message = (
            f"Hello {patient.given_name},\n\nYour transplant team has invited you to see "
            f"your transplant calendar online. Open this link to choose a password:\n\n"
            f"{link}\n\nYour username is {user.get_username()}. The link works once.\n"
        )
        from tracker.tasks import send_email  # the tasks import the services

        transaction.on_commit(
            lambda: send_email.enqueue(
                "Your transplant calendar: set your password", message, [address]
            )
        )
    record(
        EventKind.PORTAL_INVITED,
        by=by,
        patient=patient,
        username=user.get_username(),
        new_login=new_login,
        emailed=bool(address),
    )
    return link


def refuse_after_death(patient: Patient, what: str) -> None:
    died_on = patient.died_on
    if died_on is not None:
        raise ValidationError(
            f"This patient's death is recorded ({died_on:%-d %b %Y}): they cannot be {what}. "
            "If it was recorded in error, reopen the course first."
        )


FeedAction = Literal["renew", "revoke"]


@transaction.atomic
def change_feed(*, patient: Patient, action: FeedAction, by: AbstractBaseUser) -> Patient:
    """Renew (a new secret address; the old one stops working) or revoke the calendar feed."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if action == "renew":
        refuse_after_death(patient, "given a calendar subscription")
        patient.renew_feed_token()
        record(EventKind.FEED_RENEWED, by=by, patient=patient)
    else:
        patient.revoke_feed_token()
        record(EventKind.FEED_REVOKED, by=by, patient=patient)
    return patient


PATIENT_FIELDS = ("mrn", "given_name", "family_name", "date_of_birth")


@transaction.atomic
def change_patient(*, patient: Patient, changes: dict[str, Any], by: AbstractBaseUser) -> Patient:
    """A coordinator corrects a patient's details (checked by the form): one event with
    every field before and after; changing nothing records nothing."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    before = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    changed = {name: value for name, value in changes.items() if before[name] != value}
    if not changed:
        return patient
    first = patient.courses.order_by("day_zero").values_list("day_zero", flat=True).first()
    born = changed.get("date_of_birth")
    if born is not None and first is not None and born >= first:
        raise ValidationError(
            {"date_of_birth": f"The first Day Zero is {first:%-d %b %Y}: birth comes before."}
        )
    for name, value in changed.items():
        setattr(patient, name, value)
    patient.full_clean()
    patient._history_user = by  # type: ignore[attr-defined]
    patient.save()
    record(
        EventKind.PATIENT_CHANGED,
        by=by,
        patient=patient,
        changes={name: [_shown(before[name]), _shown(value)] for name, value in changed.items()},
    )
    return patient


def _shown(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)

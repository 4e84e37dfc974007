"""Patients: who they are, their portal login and their calendar subscription secret."""

from __future__ import annotations

import re
import secrets
import unicodedata
import uuid
from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from tracker import clock

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class PatientQuerySet(models.QuerySet["Patient"]):
    def visible_to(self, user: User | AnonymousUser) -> PatientQuerySet:
        """The care team sees every patient; a patient sees only themselves."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("tracker.view_patient"):
            return self
        return self.filter(user=user)

    def search(self, text: str) -> PatientQuerySet:
        """Patients whose MRN or names hold every word typed, in any order, whatever the
        accents or case ("kowalski, tomasz" finds Tomasz Kowalski; "Jose" finds José)."""
        query = Q()
        for word in search_words(text):
            query &= Q(search_text__contains=word)
        return self.filter(query)


# Letters NFKD does not take apart into a base letter and an accent.
_PLAIN_LETTERS = str.maketrans(
    {"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "ß": "ss", "þ": "th"}
)


def fold(text: str) -> str:
    """Text as search compares it: lower case, without accents ("Łódź" → "lodz")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_PLAIN_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_words(text: str) -> list[str]:
    """The words typed, folded; commas and semicolons separate words ("Kowalski, Tomasz")."""
    return fold(re.sub(r"[,;]", " ", text)).split()


def normalise_mrn(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


def validate_mrn(value: str) -> None:
    if not re.fullmatch(settings.MRN_PATTERN, value):
        raise ValidationError(f"This is not a valid MRN: {settings.MRN_HELP}")


def validate_not_future(value: date) -> None:
    if value > clock.today():
        raise ValidationError("The date of birth cannot be in the future.")


class Patient(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mrn = models.CharField("MRN", max_length=20, unique=True, validators=[validate_mrn])
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(validators=[validate_not_future])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
        help_text="The patient's own portal login, if invited.",
    )
    feed_token = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Secret in the calendar subscription address; empty when revoked.",
    )
    email_reminders = models.BooleanField(
        "E-mail reminders",
        default=False,
        editable=False,
        help_text="An e-mail to the portal login's address the day before a visit "
        "(tracker.services.reminders.set_reminder_preference).",
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    # Names and MRN folded for search (`fold`), kept by `clean` (every form and service
    # calls full_clean before saving a patient).
    search_text = models.CharField(max_length=200, editable=False, default="")
    history = HistoricalRecords(excluded_fields=["feed_token", "search_text"])

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(mrn=""),
                name="patient_mrn_not_empty",
                violation_error_message="Enter the patient’s MRN.",
            ),
        ]
        permissions = [
            ("invite_patient", "Can invite a patient to the portal"),
            ("manage_calendar_feed", "Can revoke or renew a patient's calendar feed"),
            ("manage_reminders", "Can turn a patient's e-mail reminders on or off"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patient_detail", args=[self.code])

    def clean(self) -> None:
        self.search_text = fold(f"{self.given_name} {self.family_name} {self.mrn}")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def died_on(self) -> date | None:
        """The date of death, when a course ended with it (one query)."""
        return (
            self.courses.filter(end_reason="died")
            .order_by("ended_on")
            .values_list("ended_on", flat=True)
            .first()
        )

    def renew_feed_token(self) -> str:
        """A new calendar subscription secret; the old address stops working."""
        self.feed_token = secrets.token_urlsafe(32)
        self.save(update_fields=["feed_token"])
        return self.feed_token

    def revoke_feed_token(self) -> None:
        self.feed_token = None
        self.save(update_fields=["feed_token"])

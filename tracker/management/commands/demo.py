"""Create demo data relative to today: invented patients at different points of their course.

Safe to run again: a demo patient that exists already (by MRN) is left as it is.
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker import clock, roles, services
from tracker.models import (
    BilirubinUnit,
    Centre,
    ClinicClosure,
    Patient,
    Protocol,
    TransplantCourse,
)
from tracker.models.centre import forget_centre
from tracker.models.choices import OPEN_FORM_STATUSES, FormStatus
from tracker.rules.gvhd import NIH_ORGANS
from tracker.rules.schedule import add_months
from tracker.services import registry, reminders
from tracker.services.immunity import dose_of

DEMO_PASSWORD = "transplant-demo"  # noqa: S105 (invented demo login, printed on purpose)

# (MRN, given name, family name, date of birth, protocol slug, Day Zero from today)
PATIENTS: list[tuple[str, str, str, tuple[int, int, int], str, Callable[[date], date]]] = [
    ("DEMO-0001", "Alex", "Rivera", (1971, 4, 2), "allo-ric-flu-mel", lambda t: t + timedelta(4)),
    ("DEMO-0002", "Sam", "Okafor", (1983, 9, 17), "auto-beam", lambda t: t - timedelta(13)),
    ("DEMO-0003", "Jo", "Lindqvist", (1965, 1, 30), "allo-mac-bu-cy", lambda t: t - timedelta(96)),
    ("DEMO-0004", "Priya", "Nair", (1990, 6, 8), "cord-blood", lambda t: add_months(t, -8)),
    ("DEMO-0005", "Morgan", "Hughes", (1958, 11, 21), "auto-melphalan", lambda t: t + timedelta(8)),
    (
        "DEMO-0006",
        "Chris",
        "Baptiste",
        (1976, 3, 12),
        "bmac-injection",
        lambda t: t - timedelta(20),
    ),
    ("DEMO-0007", "Noor", "Haddad", (1969, 8, 3), "allo-mac-bu-cy", lambda t: add_months(t, -30)),
    ("DEMO-0008", "Tomás", "Ferreira", (1962, 2, 14), "auto-beam", lambda t: add_months(t, -28)),
    # A tandem pair: the first autologous course; the second follows it (TANDEMS).
    ("DEMO-0009", "Kwame", "Mensah", (1959, 7, 9), "auto-melphalan", lambda t: add_months(t, -5)),
    # A leg cell therapy planned in a week and a bone regeneration graft a week ago: both
    # have portal logins, to try what a patient of a same-day procedure sees.
    (
        "DEMO-0011",
        "Tomasz",
        "Kowalski",
        (1951, 10, 23),
        "im-bm-cell-therapy-leg",
        lambda t: t + timedelta(6),
    ),
    ("DEMO-0012", "Léa", "Dubois", (1988, 5, 30), "bmac-bmp2-bone", lambda t: t - timedelta(9)),
    # A course that ended: transferred to another centre at about 7 months (ENDS).
    (
        "DEMO-0010",
        "Ingrid",
        "Solberg",
        (1974, 12, 1),
        "allo-ric-flu-mel",
        lambda t: add_months(t, -11),
    ),
]

# Tandem transplants: the patient's second course (protocol, Day Zero), following the first.
TANDEMS: dict[str, tuple[str, Callable[[date], date]]] = {
    "DEMO-0009": ("auto-melphalan", lambda t: add_months(t, -2)),
}
# Courses that ended: (months after Day Zero, reason, note).
ENDS: dict[str, tuple[int, str, str]] = {
    "DEMO-0010": (7, "transferred", "Care moved nearer home"),
}

# What the registry asks of each transplant (tracker.services.registry): indication, disease
# status, and for allogeneic courses the donor.
ALLO_DONOR = {"donor_relation": "unrelated", "hla_match": "matched"}
REGISTRY_DETAILS: dict[str, dict[str, Any]] = {
    "DEMO-0001": {
        "indication": "aml",
        "disease_status": "cr1",
        **ALLO_DONOR,
        "donor_cmv": "negative",
        "recipient_cmv": "positive",
    },
    "DEMO-0002": {"indication": "non_hodgkin", "disease_status": "partial"},
    "DEMO-0003": {
        "indication": "all",
        "disease_status": "cr1",
        "donor_relation": "sibling",
        "hla_match": "matched",
        "donor_cmv": "positive",
        "recipient_cmv": "positive",
    },
    "DEMO-0004": {
        "indication": "aml",
        "disease_status": "cr2",
        "donor_relation": "cord",
        "hla_match": "cord_5_6",
        "donor_cmv": "negative",
        "recipient_cmv": "positive",
        "cord_units": 2,
    },
    "DEMO-0005": {"indication": "myeloma", "disease_status": "partial"},
    "DEMO-0007": {
        "indication": "mds",
        "disease_status": "untreated",
        "donor_relation": "unrelated",
        "hla_match": "mismatched",
        "donor_cmv": "negative",
        "recipient_cmv": "negative",
    },
    "DEMO-0008": {"indication": "non_hodgkin", "disease_status": "cr2"},
    "DEMO-0009": {"indication": "myeloma", "disease_status": "partial"},
    "DEMO-0010": {"indication": "myelofibrosis", "disease_status": "not_applicable", **ALLO_DONOR},
}

# Tomás Ferreira, 28 months after an autologous transplant and off every immunosuppressant,
# may have his live vaccines; Noor Haddad may not (chronic GVHD, prednisolone).

# The demo patient with a portal login: Sam Okafor, at about Day +13, going home tomorrow;
# he asked for e-mail reminders (the worker e-mails him the day before, to the console).
PORTAL_PATIENT_MRN = "DEMO-0002"
# Portal logins of the same-day procedures' patients: (login, MRN).
PROCEDURE_LOGINS = [
    ("patient-knee", "DEMO-0006"),
    ("patient-leg", "DEMO-0011"),
    ("patient-bone", "DEMO-0012"),
]

# The centre (invented: 01632 960xxx numbers are set aside for drama by Ofcom) and the days
# its clinic is closed besides weekends: the coming year's public holidays.
CENTRE = {
    "name": "Northfield Transplant Unit",
    "day_phone": "01632 960 100",
    "day_hours": "Monday to Friday, 8am to 6pm",
    "out_of_hours_phone": "01632 960 999",
    "address": "Ward 7, Northfield General Hospital\nNorthfield NF1 4QT",
}
HOLIDAYS = [((12, 25), "Christmas Day"), ((12, 26), "Boxing Day"), ((1, 1), "New Year's Day")]

# Invented daily counts from Day 0, in x 10^9/L: (ANC, platelets, platelets transfused).
# Jo Lindqvist engrafts (neutrophils on Day +15, platelets >= 20 on Day +22); Sam Okafor,
# at Day +13, has not yet (today's count is still to be entered).
ENGRAFTING = [
    (2.1, 45, False),
    (1.2, 30, False),
    (0.6, 22, False),
    (0.3, 15, True),
    (0.2, 24, False),
    (0.1, 16, False),
    (0.1, 9, True),
    (0.05, 28, False),
    (0.05, 17, False),
    (0.1, 11, True),
    (0.1, 30, False),
    (0.2, 21, False),
    (0.2, 14, True),
    (0.3, 26, False),
    (0.4, 18, False),
    (0.6, 15, True),
    (0.9, 24, False),
    (1.3, 22, False),
    (1.6, 19, False),
    (2.0, 18, False),
    (2.4, 19, False),
    (2.6, 21, False),
    (2.9, 24, False),
    (3.1, 28, False),
    (3.0, 33, False),
    (3.4, 41, False),
    (3.2, 52, False),
    (3.5, 58, False),
    (3.6, 63, False),
    (3.8, 70, False),
]
NOT_YET = [
    (3.2, 120, False),
    (2.0, 95, False),
    (1.1, 70, False),
    (0.5, 48, False),
    (0.2, 30, False),
    (0.1, 19, True),
    (0.05, 28, False),
    (0.05, 14, False),
    (0.1, 9, True),
    (0.2, 22, False),
    (0.3, 18, False),
    (0.4, 12, True),
    (0.3, 25, False),
]
# Priya Nair's cord blood graft engrafts later: neutrophils on Day +24.
CORD = (
    [(1.5, 60, False), (0.8, 40, False), (0.3, 25, False)]
    + [(0.05, 12, True)] * 20
    + [
        (0.4, 18, False),
        (0.6, 22, True),
        (0.8, 25, False),
        (1.1, 24, False),
        (1.5, 26, False),
        (1.8, 31, False),
    ]
)
COUNTS = {"DEMO-0003": ENGRAFTING, "DEMO-0002": NOT_YET, "DEMO-0004": CORD}

# Invented lab results: (day, test, value in the test's unit; None for "not detected").
RESULTS: dict[str, list[tuple[int, str, str | None]]] = {
    "DEMO-0003": [
        (28, "cmv_pcr", None),
        (30, "chimerism_myeloid", "99"),
        (30, "chimerism_lymphoid", "93.5"),
        (35, "cmv_pcr", "350"),
        (42, "cmv_pcr", None),
        (90, "chimerism_myeloid", "98.5"),
        (90, "chimerism_lymphoid", "97"),
        (90, "cd4", "140"),
        (90, "igg", "3.8"),
    ],
    "DEMO-0004": [
        (100, "chimerism_myeloid", "100"),
        (100, "chimerism_lymphoid", "99"),
        (180, "cd4", "320"),
        (180, "igg", "6.1"),
    ],
}

# Invented acute GVHD assessments: (day, rash % body surface, bilirubin mg/dL, stool mL a
# day). Jo Lindqvist: grade I on Day +24, grade II on Day +28 (skin and gut), improving since.
ACUTE_GVHD: dict[str, list[tuple[int, int, str, int]]] = {
    "DEMO-0003": [
        (24, 20, "0.9", 250),
        (28, 40, "1.1", 800),
        (42, 20, "1.0", 600),
        (56, 10, "0.8", 300),
    ],
}
# Invented chronic GVHD: (day, NIH organ scores). Priya Nair: mild (mouth and eyes score 1),
# diagnosed on Day +150, scored again on Day +200; active.
CHRONIC_GVHD: dict[str, list[tuple[int, dict[str, int]]]] = {
    "DEMO-0004": [
        (150, {"mouth": 1, "eyes": 1}),
        (200, {"mouth": 1}),
    ],
    # Noor Haddad, 30 months on: moderate chronic GVHD holds back MMR and varicella.
    "DEMO-0007": [
        (210, {"skin": 2, "mouth": 1}),
        (600, {"skin": 1, "mouth": 1, "eyes": 1}),
    ],
}

# Invented immune recovery: drugs (name, first day, last day or None while ongoing) and IVIG
# days. Vaccines of the plan already due are recorded as given on their day. Jo Lindqvist and
# Priya Nair stay on immunosuppression, so the live-vaccine gates show what holds them back.
DRUGS: dict[str, list[tuple[str, int, int | None]]] = {
    "DEMO-0003": [("Ciclosporin", -1, None), ("Methotrexate", 1, 12)],
    "DEMO-0004": [("Ciclosporin", -3, None), ("Mycophenolate mofetil", -3, 35)],
    "DEMO-0007": [("Ciclosporin", -1, 180), ("Prednisolone", 210, None)],
}
IVIG: dict[str, list[int]] = {"DEMO-0003": [91]}

# Leave every n-th past milestone undone, so the demo shows overdue work.
LEAVE_UNDONE_EVERY = 9


class Command(BaseCommand):
    help = "Create the demo logins and demo patients (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not Protocol.objects.exists():
            raise CommandError("No protocols: run 'manage.py load_protocols' first.")
        coordinator = self._user("coordinator", "Casey", "Morgan", role=roles.COORDINATOR)
        nurse = self._user("nurse", "Robin", "Ellis", role=roles.CLINIC_STAFF)
        self._user("admin", "Centre", "Administrator", superuser=True)
        today = clock.today()
        self._centre(today)
        for mrn, given, family, born, slug, day_zero in PATIENTS:
            if Patient.objects.filter(mrn=mrn).exists():
                self.stdout.write(f"  {mrn} exists, left as it is")
                continue
            self._patient(mrn, given, family, born, slug, day_zero(today), coordinator, today)
            self.stdout.write(f"  {mrn} {given} {family}: created")
        portal = Patient.objects.get(mrn=PORTAL_PATIENT_MRN)
        if portal.user is None:
            portal.user = self._user("patient", portal.given_name, portal.family_name)
            portal.user.groups.add(Group.objects.get(name=roles.PATIENT))
            portal.save(update_fields=["user"])
        if not portal.user.email:
            portal.user.email = "sam.okafor@example.org"
            portal.user.save(update_fields=["email"])
        services.set_reminder_preference(patient=portal, email=True, by=coordinator)
        for username, mrn in PROCEDURE_LOGINS:
            procedure_patient = Patient.objects.filter(mrn=mrn).first()
            if procedure_patient is not None and procedure_patient.user is None:
                login = self._user(
                    username, procedure_patient.given_name, procedure_patient.family_name
                )
                login.groups.add(Group.objects.get(name=roles.PATIENT))
                procedure_patient.user = login
                procedure_patient.save(update_fields=["user"])
        if not nurse.email:
            nurse.email = "robin.ellis@example.org"
            nurse.save(update_fields=["email"])
        reminders.set_digest_preference(user=nurse, on=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo logins (password for all: {DEMO_PASSWORD}):\n"
                "  coordinator  transplant coordinator\n"
                "  nurse        clinic staff\n"
                f"  patient      the patient {portal.full_name} ({portal.mrn}), e-mail "
                "reminders on\n"
                "  patient-knee, patient-leg, patient-bone  patients of same-day procedures\n"
                "  admin        centre administrator: protocol library in /admin/"
            )
        )

    def _centre(self, today: date) -> None:
        """The centre's details and the coming year's holidays (kept if already set)."""
        if not Centre.objects.exists():
            centre = Centre(**CENTRE)
            centre.full_clean()
            centre.save()
        for (month, day), reason in HOLIDAYS:
            year = today.year if (month, day) >= (today.month, today.day) else today.year + 1
            ClinicClosure.objects.get_or_create(
                day=date(year, month, day), defaults={"reason": reason}
            )
        forget_centre()

    def _user(
        self,
        username: str,
        first: str,
        last: str,
        *,
        role: str | None = None,
        superuser: bool = False,
    ) -> User:
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "is_staff": superuser,
                "is_superuser": superuser,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user

    @transaction.atomic
    def _patient(
        self,
        mrn: str,
        given: str,
        family: str,
        born: tuple[int, int, int],
        slug: str,
        day_zero: date,
        coordinator: User,
        today: date,
    ) -> None:
        patient = Patient(mrn=mrn, given_name=given, family_name=family, date_of_birth=date(*born))
        patient.full_clean()
        patient.save()
        course = services.start_course(
            patient=patient,
            protocol=Protocol.objects.get(slug=slug),
            day_zero=day_zero,
            by=coordinator,
        )
        if day_zero <= today:
            services.confirm_day_zero(course=course, by=coordinator, today=today)
        rows = [
            {
                "drawn_on": day_zero + timedelta(days=n),
                "anc": Decimal(str(anc)),
                "platelets": Decimal(platelets),
                "platelet_transfusion": transfused,
            }
            for n, (anc, platelets, transfused) in enumerate(COUNTS.get(mrn, []))
            if day_zero + timedelta(days=n) <= today
        ]
        if rows:
            services.record_counts(course=course, rows=rows, by=coordinator, today=today)
        results = [
            {
                "drawn_on": day_zero + timedelta(days=n),
                "analyte": analyte,
                "value": Decimal(value) if value is not None else None,
                "undetected": value is None,
            }
            for n, analyte, value in RESULTS.get(mrn, [])
            if day_zero + timedelta(days=n) <= today
        ]
        if results:
            services.record_results(course=course, rows=results, by=coordinator)
        self._gvhd(course, coordinator, today)
        self._immune_recovery(course, coordinator, today)
        # What the team has done so far, after what it knew then (counts, GVHD, drugs): with
        # chronic GVHD, no PPSV23 but a 4th PCV; a live vaccine waits for its gates.
        if course.is_transplant:
            registry.record_registry_details(
                course=course, by=coordinator, **REGISTRY_DETAILS.get(mrn, {})
            )
        if mrn in ENDS:
            months, reason, note = ENDS[mrn]
            ended_on = add_months(day_zero, months)
            self._done_so_far(course, coordinator, ended_on)
            self._registry(course, coordinator, ended_on)
            services.end_course(
                course=course, reason=reason, on=ended_on, by=coordinator, note=note
            )
            return
        if mrn in TANDEMS:
            slug, second_day_zero = TANDEMS[mrn]
            second = services.start_course(
                patient=patient,
                protocol=Protocol.objects.get(slug=slug),
                day_zero=second_day_zero(today),
                by=coordinator,
                follows=course,
                reason="tandem",
            )
            self._done_so_far(course, coordinator, second.start_date)
            self._registry(course, coordinator, today)
            registry.record_registry_details(
                course=second, by=coordinator, **REGISTRY_DETAILS.get(mrn, {})
            )
            services.confirm_day_zero(course=second, by=coordinator, today=today)
            self._done_so_far(second, coordinator, today)
            self._registry(second, coordinator, today)
            return
        self._done_so_far(course, coordinator, today)
        self._registry(course, coordinator, today)

    def _registry(self, course: TransplantCourse, coordinator: User, today: date) -> None:
        """The data manager's work so far: most forms past due submitted (a few late), one in
        four left overdue; a form whose contact window is open now is in progress."""
        past = 0
        for report in course.registry_reports.filter(status__in=OPEN_FORM_STATUSES):
            if report.due < today:
                past += 1
                if past % 4 == 0:
                    continue  # overdue: the worklist shows it
                late = past % 3 == 0
                submitted = report.due + timedelta(days=12) if late else report.due - timedelta(7)
                registry.set_form_status(
                    report=report,
                    status=FormStatus.SUBMITTED,
                    submitted_on=min(max(submitted, course.day_zero), today),
                    by=coordinator,
                )
            elif report.window_start is not None and report.window_start <= today:
                registry.set_form_status(
                    report=report, status=FormStatus.IN_PROGRESS, by=coordinator
                )

    def _done_so_far(self, course: TransplantCourse, coordinator: User, today: date) -> None:
        mrn = course.patient.mrn
        past = course.milestones.filter(due_date__lt=today).select_related("step")
        for index, milestone in enumerate(past.prefetch_related("items"), start=1):
            if index % LEAVE_UNDONE_EVERY == 0:
                continue
            if mrn in COUNTS and milestone.step.engraftment:
                continue  # the counts decide these
            if milestone.step.is_live_vaccine:
                continue  # waits for its gates: recorded as a vaccination when given
            milestone.refresh_from_db(fields=["due_date", "hold", "completed_on"])
            if milestone.hold or milestone.completed_on or milestone.due_date >= today:
                continue  # blocked, not needed, or re-planned by what was recorded before
            if milestone.step.vaccine:
                dose = dose_of(milestone)
                before = course.vaccinations.filter(vaccine=milestone.step.vaccine, dose=dose - 1)
                if dose > 1 and not milestone.step.seasons and not before.exists():
                    continue  # the dose before it was left undone: this one waits too
                # A dose given: recorded as such, which completes its milestone.
                services.record_vaccination(
                    course=course,
                    vaccine=milestone.step.vaccine,
                    dose=dose,
                    given_on=milestone.due_date,
                    by=coordinator,
                )
                continue
            services.complete_milestone(
                milestone=milestone, on=milestone.due_date, by=coordinator, today=today
            )
            for item in milestone.items.all():
                services.tick_item(item=item, checked=True, by=coordinator)

    def _immune_recovery(self, course: TransplantCourse, coordinator: User, today: date) -> None:
        mrn = course.patient.mrn

        def day(n: int) -> date:
            return course.day_zero + timedelta(days=n)

        for drug, first, last in DRUGS.get(mrn, []):
            if day(first) > today:
                continue
            services.record_immunosuppression(
                course=course,
                drug=drug,
                started_on=day(first),
                stopped_on=day(last) if last is not None and day(last) <= today else None,
                by=coordinator,
            )
        for n in IVIG.get(mrn, []):
            if day(n) <= today:
                services.record_ivig(course=course, given_on=day(n), by=coordinator)

    def _gvhd(self, course: TransplantCourse, coordinator: User, today: date) -> None:
        mrn = course.patient.mrn
        for day, rash, bilirubin, stool in ACUTE_GVHD.get(mrn, []):
            if course.day_zero + timedelta(days=day) > today:
                continue
            services.record_acute_gvhd(
                course=course,
                values={
                    "assessed_on": course.day_zero + timedelta(days=day),
                    "bsa_percent": Decimal(rash),
                    "bilirubin": Decimal(bilirubin),
                    "bilirubin_unit": BilirubinUnit.MG_DL,
                    "stool_ml_per_day": stool,
                },
                by=coordinator,
            )
        for index, (day, scores) in enumerate(CHRONIC_GVHD.get(mrn, [])):
            on = course.day_zero + timedelta(days=day)
            if on > today:
                continue
            organs = {organ: scores.get(organ, 0) for organ in NIH_ORGANS}
            if index == 0:
                services.diagnose_chronic_gvhd(
                    course=course, diagnosed_on=on, scores=organs, by=coordinator
                )
            else:
                services.score_chronic_gvhd(
                    episode=course.chronic_gvhd.get(resolved_on__isnull=True),
                    assessed_on=on,
                    scores=organs,
                    by=coordinator,
                )

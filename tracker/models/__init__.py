"""The app's models by area, re-exported here: `from tracker.models import Milestone` works."""

from tracker.models.centre import Centre, CentreDetails, ClinicClosure, centre_details
from tracker.models.choices import (
    ANALYTE_CHOICES,
    Audience,
    DonorType,
    Engraftment,
    GraftSource,
    Kind,
    PhaseSet,
    Vaccine,
)
from tracker.models.counts import BloodCount
from tracker.models.courses import CourseQuerySet, DayZeroMove, Infusion, TransplantCourse
from tracker.models.events import CourseEvent, CourseEventQuerySet, EventKind
from tracker.models.gvhd import (
    AcuteGvhdAssessment,
    BilirubinUnit,
    ChronicGvhd,
    ChronicGvhdAssessment,
    Severity,
)
from tracker.models.immunity import Immunosuppression, IvigDose, Vaccination
from tracker.models.milestones import ChecklistItem, Milestone, MilestoneQuerySet
from tracker.models.patients import (
    Patient,
    PatientQuerySet,
    normalise_mrn,
    validate_mrn,
    validate_not_future,
)
from tracker.models.protocols import Protocol, ProtocolManager, ProtocolStep, ProtocolStepManager
from tracker.models.registry import RegistryReport
from tracker.models.reminders import MorningDigest, Reminder, ReminderKind, ReminderStatus
from tracker.models.results import LabResult

__all__ = [
    "PhaseSet",
    "Centre",
    "CentreDetails",
    "ClinicClosure",
    "centre_details",
    "MorningDigest",
    "Reminder",
    "ReminderKind",
    "ReminderStatus",
    "RegistryReport",
    "Vaccine",
    "Vaccination",
    "IvigDose",
    "Immunosuppression",
    "ANALYTE_CHOICES",
    "AcuteGvhdAssessment",
    "BilirubinUnit",
    "ChronicGvhd",
    "ChronicGvhdAssessment",
    "Severity",
    "Audience",
    "BloodCount",
    "ChecklistItem",
    "CourseEvent",
    "CourseEventQuerySet",
    "CourseQuerySet",
    "DayZeroMove",
    "DonorType",
    "Engraftment",
    "EventKind",
    "GraftSource",
    "Kind",
    "LabResult",
    "Milestone",
    "MilestoneQuerySet",
    "Patient",
    "PatientQuerySet",
    "Protocol",
    "ProtocolManager",
    "ProtocolStep",
    "ProtocolStepManager",
    "TransplantCourse",
    "Infusion",
    "normalise_mrn",
    "validate_mrn",
    "validate_not_future",
]

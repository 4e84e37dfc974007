"""Writes that span models, by area. Each runs in one transaction, takes the course lock
first (`lock_course`), and writes a course event for every clinical change it makes.

The public services are importable from here: `tracker.services.start_course(...)`.
"""

from tracker.services.counts import apply_counts, correct_count, delete_count, record_counts
from tracker.services.courses import (
    StaleDayZero,
    catch_up,
    catch_up_preview,
    confirm_day_zero,
    delete_infusion,
    end_course,
    lock_course,
    move_day_zero,
    preview_day_zero_move,
    record_infusion,
    reopen_course,
    start_course,
    titled,
)
from tracker.services.gvhd import (
    correct_acute_gvhd,
    delete_acute_gvhd,
    delete_chronic_scoring,
    diagnose_chronic_gvhd,
    record_acute_gvhd,
    reopen_chronic_gvhd,
    resolve_chronic_gvhd,
    score_chronic_gvhd,
)
from tracker.services.immunity import (
    delete_immunosuppression,
    delete_ivig,
    delete_vaccination,
    extend_letermovir,
    record_immunosuppression,
    record_irradiation_details,
    record_ivig,
    record_vaccination,
    stop_immunosuppression,
)
from tracker.services.milestones import complete_milestone, reopen_milestone, tick_item
from tracker.services.patients import change_feed, change_patient, invite_patient
from tracker.services.results import delete_result, record_results

__all__ = [
    "catch_up",
    "catch_up_preview",
    "change_patient",
    "end_course",
    "record_infusion",
    "delete_infusion",
    "reopen_course",
    "record_irradiation_details",
    "extend_letermovir",
    "stop_immunosuppression",
    "record_vaccination",
    "record_ivig",
    "record_immunosuppression",
    "delete_vaccination",
    "delete_ivig",
    "delete_immunosuppression",
    "score_chronic_gvhd",
    "resolve_chronic_gvhd",
    "reopen_chronic_gvhd",
    "record_acute_gvhd",
    "diagnose_chronic_gvhd",
    "delete_chronic_scoring",
    "delete_acute_gvhd",
    "correct_acute_gvhd",
    "StaleDayZero",
    "apply_counts",
    "change_feed",
    "complete_milestone",
    "confirm_day_zero",
    "correct_count",
    "delete_count",
    "delete_result",
    "invite_patient",
    "lock_course",
    "move_day_zero",
    "preview_day_zero_move",
    "record_counts",
    "record_results",
    "reopen_milestone",
    "start_course",
    "tick_item",
    "titled",
]

"""Parts of the course page rendered once and kept in the cache, where that is safe.

A part is kept under a key made of everything it shows:

- the course's last event: every write to a course records a `CourseEvent` in the same
  transaction (services), so any change to a milestone, a tick, a count or Day Zero makes a
  new key and the old part is never read again;
- the protocol's revision, which changes when the centre edits a step's title or texts;
- today (statuses, day labels and the date fields' limits change with it);
- what the person may do (`CourseActions`), and which part, filter and phases;
- the release (a digest of the templates and the code), so a release never serves the
  previous release's markup.

A part never holds a person's CSRF token: it is rendered with a placeholder that each response
replaces with its own token. Parts are rendered without the request, so they cannot show
anything else that belongs to one person.

The cache is the `fragments` alias: local memory in each process by default, or the shared
cache at `CACHE_URL` when several app servers run (settings).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import astuple, dataclass, fields
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.core.cache import caches
from django.db.models import Sum
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from tracker import links
from tracker.http import Request
from tracker.models import CourseEvent, Patient, Protocol, TransplantCourse

# Not a secret: only a mark for where each response puts its own token.
CSRF_PLACEHOLDER = "csrf-token-of-this-response"
# The URLs a course page links per row, reversed once per process instead of once per row.
ROW_URLS = (
    "milestone_complete",
    "milestone_reopen",
    "checklist_toggle",
    "count_edit",
    "count_delete",
    "result_delete",
    "gvhd_acute_edit",
    "gvhd_acute_delete",
    "gvhd_scoring_delete",
    "vaccination_delete",
    "drug_stop",
    "drug_delete",
    "ivig_delete",
)


@dataclass(frozen=True)
class CourseActions:
    """What a person may do on a course page, checked once per page rather than per row."""

    complete: bool
    tick: bool
    move_day_zero: bool
    confirm_day_zero: bool
    see_history: bool
    export_fhir: bool
    add_counts: bool
    change_counts: bool
    add_results: bool
    delete_results: bool
    see_gvhd: bool
    stage_gvhd: bool
    see_immunity: bool
    record_immunity: bool
    start_course: bool
    end_course: bool
    record_infusion: bool
    see_registry: bool
    change_registry: bool

    @classmethod
    def of(cls, user: User | AnonymousUser) -> CourseActions:
        def may(codename: str) -> bool:
            return user.has_perm(f"tracker.{codename}")

        return cls(
            complete=may("complete_milestone"),
            tick=may("tick_checklistitem"),
            move_day_zero=may("move_day_zero"),
            confirm_day_zero=may("confirm_day_zero"),
            see_history=may("view_course_history"),
            export_fhir=may("export_fhir"),
            add_counts=may("add_bloodcount"),
            change_counts=may("change_bloodcount"),
            add_results=may("add_labresult"),
            delete_results=may("delete_labresult"),
            see_gvhd=may("view_acutegvhdassessment"),
            stage_gvhd=may("stage_gvhd"),
            see_immunity=may("view_vaccination"),
            record_immunity=may("record_immune_recovery"),
            start_course=may("add_transplantcourse"),
            end_course=may("end_course"),
            record_infusion=may("record_infusion"),
            see_registry=may("view_registryreport"),
            change_registry=may("change_registry_status"),
        )

    @property
    def key(self) -> str:
        return "".join("1" if allowed else "0" for allowed in astuple(self))


# A patient does nothing on the care team's course page; what they tick on their own page is
# theirs by the step's audience, not by a permission.
PATIENT = CourseActions(*[False] * len(fields(CourseActions)))


def url_patterns() -> dict[str, str]:
    """Each row URL with a placeholder code: `{{ urls.count_edit|with_code:count.code }}`."""
    return {name: links.pattern(name) for name in ROW_URLS}


@cache
def release_version() -> str:
    """A digest of every template and source file: a release that changes what a part shows
    starts with fresh keys, even in a cache shared across restarts (Redis)."""
    digest = hashlib.sha256()
    templates = [Path(folder) for folder in cast("list[str]", settings.TEMPLATES[0]["DIRS"])]
    for folder in [*templates, Path(__file__).parents[1]]:
        for path in sorted(folder.rglob("*")):
            if path.suffix in (".html", ".txt", ".py"):
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def course_key(course: TransplantCourse, *, today: date, actions: CourseActions) -> str:
    """The part of every key that changes with the course: one query for its last event."""
    last_event = (
        CourseEvent.objects.filter(course=course).order_by("-pk").values_list("pk", "at")
    ).first()
    # The event's time too: a number reused after a database is restored is another event.
    event = f"{last_event[0]}@{last_event[1].timestamp()}" if last_event else "none"
    return (
        f"course:{release_version()}:{course.pk}:{course.day_zero.isoformat()}:{event}:"
        f"{course.protocol.revision}:{today.isoformat()}:{actions.key}"
    )


def clinic_key(*, today: date) -> str:
    """The part of a key that changes with anything on a list of every course: the last
    course event, the last change to a patient's record (names, MRN: the admin), the
    protocols' revisions. Three lookups on primary keys and a small table."""
    last_event = CourseEvent.objects.order_by("-pk").values_list("pk", "at").first()
    event = f"{last_event[0]}@{last_event[1].timestamp()}" if last_event else "none"
    patient_change = Patient.history.order_by("-history_id").values_list("history_id", flat=True)
    revisions = Protocol.objects.aggregate(total=Sum("revision"))["total"]
    return (
        f"clinic:{release_version()}:{event}:{patient_change.first()}:{revisions}:"
        f"{today.isoformat()}"
    )


def person_key(user: User | AnonymousUser) -> str:
    """What a page's layout shows of the person: their login name and what they may do."""
    shown = f"{user.pk}:{user.get_username()}:{user.is_staff}:{sorted(user.get_all_permissions())}"
    return hashlib.sha256(shown.encode()).hexdigest()[:16]


def cached_page(request: Request, key: str, draw: Callable[[], str]) -> HttpResponse | None:
    """A whole page from the cache (`draw` renders it with the CSRF placeholder, with the
    request); None while a message waits to be shown once: draw that page for this response.
    The key must hold everything of the person's the page shows (`person_key`)."""
    if len(messages.get_messages(request)):
        return None
    store = caches["pages"]
    page = store.get(key)
    if page is None:
        page = draw()
        store.set(key, page)
    return HttpResponse(for_response(request, page))


def patient_feed_key(patient: Patient, *, today: date) -> str:
    """The key of a patient's calendar feed, from `queries.portal.feed_patient`'s figures and
    today (a live vaccine's gates open with the date)."""
    at = patient.last_event_at.timestamp() if patient.last_event_at else 0  # type: ignore[attr-defined]
    return (
        f"feed:{release_version()}:{patient.pk}:{patient.feed_token}:"
        f"{patient.last_event_pk}@{at}:{patient.protocol_revisions}:"  # type: ignore[attr-defined]
        f"{today.isoformat()}"
    )


def render(template_name: str, context: dict[str, Any]) -> str:
    """A part, rendered without the request and with a placeholder for the CSRF token."""
    return renderer(template_name)(context)


def renderer(template_name: str) -> Callable[[dict[str, Any]], str]:
    """`render` for many parts of one template: the template is looked up once."""
    template = get_template(template_name)
    fixed = {"csrf_token": CSRF_PLACEHOLDER, "urls": url_patterns()}
    return lambda context: template.render({**context, **fixed})


def for_response(request: Request, html: str) -> SafeString:
    """The part with this response's own CSRF token in place of the placeholder."""
    if CSRF_PLACEHOLDER not in html:
        return mark_safe(html)  # noqa: S308 - rendered by our templates, escaped there
    return mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308


def list_rows(request: Request, name: str, *, today: date, draw: Callable[[], str]) -> SafeString:
    """A list's rows (follow-up, immune recovery, registry) from the cache while nothing in
    the clinic has changed; the same filters in any order are the same rows (what was typed
    is hashed into the key)."""
    asked = hashlib.sha256(repr(sorted(request.GET.lists())).encode()).hexdigest()
    key = f"{clinic_key(today=today)}:{name}:{asked}"
    return cached_parts(request, {"rows": key}, {"rows": draw})["rows"]


def cached_parts(
    request: Request,
    keys: dict[str, str],
    renderers: dict[str, Callable[[], str]],
    *,
    raw: bool = False,
) -> dict[str, SafeString]:
    """Each named part from the cache (one round trip), rendering and keeping the missing ones;
    `raw` leaves the CSRF placeholder in (for a page that is itself kept)."""
    store = caches["pages"]
    found: dict[str, str] = store.get_many(list(keys.values()))
    parts = {}
    missing = {}
    for name, key in keys.items():
        html = found.get(key)
        if html is None:
            html = missing[key] = renderers[name]()
        parts[name] = mark_safe(html) if raw else for_response(request, html)  # noqa: S308
    if missing:
        store.set_many(missing)
    return parts

"""Every URL pattern × every kind of user × method, with the status each must get.

A URL pattern added without an entry here fails `test_every_url_pattern_has_an_entry`, so no
new page escapes the check. Objects in the URLs belong to patient A; patient B is another
patient with a login of their own: to B, A's data does not exist (404), while A is refused
the care team's actions on their own data (403).
"""

from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tracker import services
from tracker.models import BloodCount, ChecklistItem, Infusion, LabResult
from tracker.rules.gvhd import NIH_ORGANS
from tracker.services.reminders import stop_token

pytestmark = pytest.mark.django_db

ACTORS = ["anonymous", "patient_a", "patient_b", "clinic_staff", "coordinator"]
LOGIN = "login"  # a redirect to the login page
R = 302  # another redirect
NO_SCORES = {organ: 0 for organ in NIH_ORGANS if organ != "skin"}

# name: {method: (anonymous, patient A, patient B, clinic staff, coordinator)}
MATRIX = {
    "home": {"GET": (LOGIN, R, R, R, R)},
    "patient_list": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "patient_create": {"GET": (LOGIN, 403, 403, 403, 200), "POST": (LOGIN, 403, 403, 403, 200)},
    "patient_detail": {"GET": (LOGIN, 403, 404, 200, 200), "POST": (405,) * 5},
    "patient_edit": {"GET": (LOGIN, 403, 404, 403, 200), "POST": (LOGIN, 403, 404, 403, 200)},
    "course_start": {"GET": (LOGIN, 403, 404, 403, 200), "POST": (LOGIN, 403, 404, 403, 200)},
    "patient_invite": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 403, 200)},
    "patient_feed": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 403, R)},
    "course_detail": {"GET": (LOGIN, R, 404, 200, 200), "POST": (405,) * 5},
    # Without htmx, a folded phase opens on the course page (?open=).
    "course_phase": {"GET": (LOGIN, 403, 404, R, R), "POST": (405,) * 5},
    "day_zero_move": {"GET": (LOGIN, 403, 404, 403, 200), "POST": (LOGIN, 403, 404, 403, 200)},
    "day_zero_confirm": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 403, R)},
    "course_end": {"GET": (LOGIN, 403, 404, 403, 200), "POST": (LOGIN, 403, 404, 403, 200)},
    "catch_up": {"GET": (LOGIN, 403, 404, 403, 200), "POST": (LOGIN, 403, 404, 403, 200)},
    # An empty infusion form comes back on the course page with its errors.
    "infusion_add": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "infusion_delete": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    "course_history": {"GET": (LOGIN, 403, 404, 200, 200), "POST": (405,) * 5},
    # The FHIR hand-over is the care team's: a patient has their page, calendar and printout.
    "course_fhir": {"GET": (LOGIN, 403, 404, 200, 200), "POST": (405,) * 5},
    # The printable calendar holds only what the patient may see: they may print their own.
    "course_calendar": {"GET": (LOGIN, 200, 404, 200, 200), "POST": (405,) * 5},
    "counts_add": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "counts_paste": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "count_edit": {"GET": (LOGIN, 403, 404, 200, 200), "POST": (LOGIN, 403, 404, 200, 200)},
    "count_delete": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    "results_add": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "results_paste": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "result_delete": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    # GVHD staging is the care team's: the patient gets a 404 even on their own course.
    "gvhd_acute_add": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "gvhd_acute_edit": {"GET": (LOGIN, 404, 404, 200, 200), "POST": (LOGIN, 404, 404, 200, 200)},
    "gvhd_acute_delete": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "gvhd_chronic_diagnose": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "gvhd_chronic_score": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "gvhd_chronic_resolve": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "gvhd_chronic_reopen": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "gvhd_scoring_delete": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    # Immune recovery records are the care team's: a 404 for the patient too.
    "vaccination_add": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "vaccination_delete": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "drug_add": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "drug_stop": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "drug_delete": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "ivig_add": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "ivig_delete": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "milestone_complete": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    "milestone_reopen": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    "checklist_toggle": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    "follow_up": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "follow_up_week": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "recovery": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "recovery_csv": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    # The registry worklist is the care team's: there is nothing there for a patient.
    "registry": {"GET": (LOGIN, 404, 404, 200, 200), "POST": (405,) * 5},
    "registry_csv": {"GET": (LOGIN, 404, 404, 200, 200), "POST": (405,) * 5},
    # Nothing changed (every detail is optional): back to the section.
    "registry_details": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, R, R)},
    # No status chosen: the course page with the error next to the form.
    "registry_status": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 200, 200)},
    "letermovir": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, 200, 200)},
    "irradiation": {"GET": (405,) * 5, "POST": (LOGIN, 404, 404, R, R)},
    "follow_up_csv": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "my_page": {"GET": (LOGIN, 200, 200, R, R), "POST": (405,) * 5},
    "my_calendar": {"GET": (LOGIN, 200, 200, R, R), "POST": (405,) * 5},
    "my_feed": {"GET": (405,) * 5, "POST": (LOGIN, R, R, 403, 403)},
    "calendar_feed": {"GET": (200,) * 5, "POST": (405,) * 5},
    "login": {"GET": (200,) * 5},
    "logout": {"GET": (405,) * 5, "POST": (R,) * 5},
    "password_change": {"GET": (LOGIN, 200, 200, 200, 200)},
    "password_change_done": {"GET": (LOGIN, 200, 200, 200, 200)},
    # The staff's Today page and what is done from it; the morning digest is one's own.
    "today": {"GET": (LOGIN, 403, 403, 200, 200), "POST": (405,) * 5},
    "today_tick": {"GET": (405,) * 5, "POST": (LOGIN, 403, 403, R, R)},
    "today_done": {"GET": (405,) * 5, "POST": (LOGIN, 403, 403, R, R)},
    "today_digest": {"GET": (405,) * 5, "POST": (LOGIN, 403, 403, R, R)},
    # A patient turns their own reminders on or off (their login has no e-mail address here,
    # so the answer is the page with why); staff have no page of their own to do it on.
    "my_reminders": {"GET": (405,) * 5, "POST": (LOGIN, R, R, 404, 404)},
    "patient_reminders": {"GET": (405,) * 5, "POST": (LOGIN, 403, 404, 403, R)},
    # The stop link in an e-mail works without a login: its secret is the proof.
    "reminders_stop": {"GET": (200,) * 5, "POST": (200,) * 5},
    "password_reset": {"GET": (200,) * 5},
    "password_reset_done": {"GET": (200,) * 5},
    "password_reset_confirm": {"GET": (200,) * 5},
    "password_reset_complete": {"GET": (200,) * 5},
    # The admin is one entry: only staff accounts get past its own login page.
    "healthz": {"GET": (200,) * 5, "POST": (405,) * 5},
    "favicon": {"GET": (301,) * 5, "POST": (405,) * 5},
    "admin": {"GET": (R,) * 5},
}


def url_names() -> set[str]:
    names = set()
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            names.add(pattern.namespace)
        elif isinstance(pattern, URLPattern):
            names.add(pattern.name)
    return names


def test_every_url_pattern_has_an_entry():
    assert url_names() == set(MATRIX)


@pytest.fixture
def url_for(course, patient, coordinator, today):
    milestone = course.milestones.get(step__key="infusion")
    count = BloodCount.objects.create(
        course=course, drawn_on=today, anc=Decimal("0.2"), entered_by=coordinator
    )
    item = ChecklistItem.objects.filter(milestone=milestone).first()
    result = LabResult.objects.create(
        course=course, drawn_on=today, analyte="cd4", value=Decimal("150"), entered_by=coordinator
    )
    token = patient.renew_feed_token()
    assessment = services.record_acute_gvhd(
        course=course,
        values={
            "assessed_on": today,
            "bsa_percent": Decimal(30),
            "bilirubin": Decimal(1),
            "bilirubin_unit": "mg/dL",
            "stool_ml_per_day": 100,
        },
        by=coordinator,
    )
    vaccination = services.record_vaccination(
        course=course, vaccine="pcv", dose=1, given_on=today, by=coordinator
    )
    drug = services.record_immunosuppression(
        course=course, drug="Ciclosporin", started_on=today, by=coordinator
    )
    ivig = services.record_ivig(course=course, given_on=today, by=coordinator)
    infusion = Infusion.objects.create(
        course=course, kind="boost", given_on=today, entered_by=coordinator
    )
    episode = services.diagnose_chronic_gvhd(
        course=course, diagnosed_on=today, scores={"skin": 1} | NO_SCORES, by=coordinator
    )
    args = {
        "patient_detail": [patient.code],
        "patient_edit": [patient.code],
        "course_start": [patient.code],
        "patient_invite": [patient.code],
        "patient_feed": [patient.code],
        "course_detail": [course.code],
        "course_phase": [course.code, "engraftment"],
        "day_zero_move": [course.code],
        "day_zero_confirm": [course.code],
        "course_end": [course.code],
        "catch_up": [course.code],
        "infusion_add": [course.code],
        "infusion_delete": [infusion.code],
        "registry_details": [course.code],
        "registry_status": [course.registry_reports.first().code],
        "course_history": [course.code],
        "course_fhir": [course.code],
        "course_calendar": [course.code],
        "milestone_complete": [milestone.code],
        "milestone_reopen": [milestone.code],
        "checklist_toggle": [item.code],
        "counts_add": [course.code],
        "counts_paste": [course.code],
        "count_edit": [count.code],
        "count_delete": [count.code],
        "results_add": [course.code],
        "results_paste": [course.code],
        "result_delete": [result.code],
        "gvhd_acute_add": [course.code],
        "gvhd_acute_edit": [assessment.code],
        "gvhd_acute_delete": [assessment.code],
        "gvhd_chronic_diagnose": [course.code],
        "gvhd_chronic_score": [episode.code],
        "gvhd_chronic_resolve": [episode.code],
        "gvhd_chronic_reopen": [episode.code],
        "gvhd_scoring_delete": [episode.assessments.get().code],
        "vaccination_add": [course.code],
        "vaccination_delete": [vaccination.code],
        "drug_add": [course.code],
        "drug_stop": [drug.code],
        "drug_delete": [drug.code],
        "ivig_add": [course.code],
        "ivig_delete": [ivig.code],
        "letermovir": [course.code],
        "irradiation": [course.code],
        "calendar_feed": [token],
        "today_tick": [item.code],
        "today_done": [milestone.code],
        "patient_reminders": [patient.code],
        "reminders_stop": [stop_token(patient.user, "day_before")],
        "password_reset_confirm": ["MQ", "set-password"],
    }

    def build(name):
        if name == "admin":
            return reverse("admin:index")
        return reverse(name, args=args.get(name, []))

    return build


@pytest.fixture
def log_in_as(client, patient, other_patient, clinic_staff, coordinator):
    users = {
        "anonymous": None,
        "patient_a": patient.user,
        "patient_b": other_patient.user,
        "clinic_staff": clinic_staff,
        "coordinator": coordinator,
    }

    def log_in(actor):
        client.logout()
        if users[actor] is not None:
            client.force_login(users[actor])
        return client

    return log_in


CASES = [
    pytest.param(name, method, actor, expected, id=f"{name}-{method}-{actor}")
    for name, methods in MATRIX.items()
    for method, statuses in methods.items()
    for actor, expected in zip(ACTORS, statuses, strict=True)
]


# Form posts carry data that changes nothing lasting where possible (a renew of a feed token,
# an action on patient A's own course); what matters here is who gets through.
POST_DATA = {
    "patient_feed": {"action": "renew"},
    "my_feed": {"action": "renew"},
    "milestone_complete": {"completed_on": "2026-11-21"},
    "checklist_toggle": {"checked": "1"},
    "today_tick": {"checked": "1"},
    "my_reminders": {"email": "on"},
    "patient_reminders": {"email": "off"},
}


@pytest.mark.parametrize(("name", "method", "actor", "expected"), CASES)
def test_access(name, method, actor, expected, url_for, log_in_as, today):
    client = log_in_as(actor)
    url = url_for(name)
    data = POST_DATA.get(name, {})
    response = client.get(url) if method == "GET" else client.post(url, data)
    if expected == LOGIN:
        assert response.status_code == 302, response.status_code
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected
    assert_locked_down(response)


def assert_locked_down(response):
    """The headers every answer carries, whoever asks and whatever the answer."""
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy
    assert "frame-ancestors 'none'" in policy
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]

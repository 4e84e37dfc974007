"""The HTTP layer: htmx after the session ended, and form bodies that cannot be read."""

from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tracker.http import client_ip
from tracker.models import BloodCount, ChecklistItem, Patient

pytestmark = pytest.mark.django_db


def htmx_from(page: str) -> dict:
    return {"HX-Request": "true", "HX-Current-URL": f"http://testserver{page}"}


def login_target(response) -> tuple[str, dict]:
    parts = urlsplit(response["HX-Redirect"])
    return parts.path, {key: values[0] for key, values in parse_qs(parts.query).items()}


class TestHtmxAfterTheSessionEnded:
    def test_an_action_sends_the_whole_page_to_login_with_the_page_as_next(self, client, course):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        page = f"{course.get_absolute_url()}?show=next30"
        response = client.post(
            reverse("checklist_toggle", args=[item.code]), {"checked": "1"}, headers=htmx_from(page)
        )
        assert response.status_code == 204
        assert response.content == b""  # nothing to swap into the timeline
        path, query = login_target(response)
        assert path == reverse("login")
        assert query == {"next": page, "unsaved": "1"}
        item.refresh_from_db()
        assert not item.is_checked

    def test_a_read_goes_to_login_without_saying_anything_was_lost(self, client, course):
        page = course.get_absolute_url()
        response = client.get(f"{page}?show=overdue", headers=htmx_from(page))
        assert login_target(response)[1] == {"next": page}

    def test_a_page_on_another_site_is_not_a_place_to_return_to(self, client, course):
        headers = {"HX-Request": "true", "HX-Current-URL": "https://evil.example/phish"}
        response = client.get(course.get_absolute_url(), headers=headers)
        assert login_target(response)[1] == {"next": reverse("home")}

    def test_a_plain_request_is_redirected_as_usual(self, client, course):
        response = client.get(course.get_absolute_url())
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        assert "HX-Redirect" not in response

    def test_the_login_page_says_the_change_was_not_saved(self, client):
        text = client.get(reverse("login"), {"next": "/follow-up/", "unsaved": "1"}).text
        assert "the change you were making was not saved" in text
        assert '<input type="hidden" name="unsaved" value="1">' in text

    def test_after_login_the_page_says_the_change_was_not_saved(self, client, coordinator, course):
        page = course.get_absolute_url()
        login = f"{reverse('login')}?next={page}&unsaved=1"
        response = client.post(
            login,
            {
                "username": "coordinator",
                "password": "correct-horse-battery",
                "next": page,
                "unsaved": "1",
            },
            follow=True,
        )
        assert response.redirect_chain[-1][0] == page
        assert "your last change was not saved" in response.text

    def test_a_normal_login_says_nothing_of_the_kind(self, client, coordinator, course):
        response = client.post(
            reverse("login"),
            {"username": "coordinator", "password": "correct-horse-battery"},
            follow=True,
        )
        assert "not saved" not in response.text


class TestUnreadableFormBodies:
    @pytest.mark.parametrize(
        "content_type",
        [
            "application/x-www-form-urlencoded; charset=utf-16",
            "application/x-www-form-urlencoded; charset=latin-1",
        ],
    )
    def test_a_body_that_is_not_utf8_is_a_400_page_and_saves_nothing(
        self, staff_client, course, content_type, caplog
    ):
        response = staff_client.generic(
            "POST",
            reverse("counts_add", args=[course.code]),
            "drawn_on=2026-11-21&anc=0,5é".encode("latin-1"),
            content_type=content_type,
        )
        assert response.status_code == 400
        assert "The form could not be read" in response.text
        assert not BloodCount.objects.exists()
        assert all(record.exc_info is None for record in caplog.records)


class TestIdleSessions:
    """Sessions end after SESSION_IDLE_MINUTES idle, without a write on every request."""

    def session_writes(self, client, url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in queries if "django_session" in q["sql"] and "UPDATE" in q["sql"]]

    def test_requests_within_a_minute_do_not_write_the_session(self, coordinator_client):
        url = reverse("patient_list")
        with time_machine.travel("2026-11-21 12:00:00 +00:00", tick=False) as clock:
            self.session_writes(coordinator_client, url)  # the first touch
            clock.shift(30)
            assert self.session_writes(coordinator_client, url) == []
            clock.shift(31)
            assert len(self.session_writes(coordinator_client, url)) == 1

    def test_a_session_idle_longer_than_the_idle_time_ends(self, coordinator_client, settings):
        url = reverse("patient_list")
        with time_machine.travel("2026-11-21 12:00:00 +00:00", tick=False) as clock:
            coordinator_client.get(url)
            clock.shift(settings.SESSION_IDLE_MINUTES * 60 - 30)
            assert coordinator_client.get(url).status_code == 200  # still in, and touched
            clock.shift(settings.SESSION_IDLE_MINUTES * 60 - 30)
            assert coordinator_client.get(url).status_code == 200  # active: still in
            clock.shift(settings.SESSION_IDLE_MINUTES * 60 + 1)
            response = coordinator_client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


class TestPlainPostsAfterTheSessionEnded:
    def test_a_plain_action_goes_to_login_and_back_to_the_page_it_came_from(self, client, course):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        page = f"http://testserver{course.get_absolute_url()}"
        response = client.post(
            reverse("checklist_toggle", args=[item.code]), {"checked": "1"}, HTTP_REFERER=page
        )
        assert response.status_code == 302
        parts = urlsplit(response["Location"])
        assert parts.path == reverse("login")
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        assert query == {"next": course.get_absolute_url(), "unsaved": "1"}

    def test_without_a_referer_it_goes_back_to_the_start(self, client, course):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        response = client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
        query = parse_qs(urlsplit(response["Location"]).query)
        assert query["next"] == [reverse("home")]


class TestHealthCheck:
    def test_it_answers_without_a_login_when_the_database_is_there(self, client, db):
        response = client.get(reverse("healthz"))
        assert (response.status_code, response.content) == (200, b"ok\n")
        assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]

    def test_it_answers_503_when_the_database_cannot_be_reached(self, client, db, monkeypatch):
        from django.db import DatabaseError
        from django.db.backends.utils import CursorWrapper

        def unreachable(*args, **kwargs):
            raise DatabaseError("connection refused")

        monkeypatch.setattr(CursorWrapper, "execute", unreachable)
        response = client.get(reverse("healthz"))
        assert response.status_code == 503


class TestBadInput:
    @pytest.mark.parametrize("token", ["%00", "x", "a" * 65, "abc%20def" + "a" * 20, "é" * 30])
    def test_a_feed_address_outside_the_token_alphabet_is_404_before_any_query(
        self, client, db, token, django_assert_num_queries
    ):
        with django_assert_num_queries(0):
            response = client.get(f"/feeds/{token}.ics")
        assert response.status_code == 404

    def test_names_are_kept_without_bidirectional_controls_and_shown_isolated(
        self, coordinator_client
    ):
        response = coordinator_client.post(
            reverse("patient_create"),
            {
                "mrn": "BIDI-0001",
                "given_name": "Ad\u202ea",
                "family_name": "\u2067Lovelace\u2069 \u200f",
                "date_of_birth": "1970-05-17",
            },
            follow=True,
        )
        patient = Patient.objects.get(mrn="BIDI-0001")
        assert (patient.given_name, patient.family_name) == ("Ada", "Lovelace")
        assert "<h1><bdi>Ada Lovelace</bdi></h1>" in response.text

    def test_the_csv_has_a_bom_and_no_cell_a_spreadsheet_would_run(
        self, staff_client, course, patient
    ):
        patient.family_name = '=HYPERLINK("http://evil.example")'
        patient.given_name = "@SUM(A1)"
        patient.save()
        response = staff_client.get(reverse("follow_up_csv"))
        body = b"".join(response.streaming_content).decode("utf-8")
        assert body.startswith("\ufeffMRN,")
        assert "'=HYPERLINK" in body
        assert "'@SUM(A1)" in body
        assert ",=HYPERLINK" not in body


class TestClientAddress:
    @pytest.mark.parametrize(
        ("proxies", "forwarded", "expected"),
        [
            (0, "8.8.8.8", "10.0.0.9"),  # no proxy: the header is the client's word only
            (1, "", "10.0.0.9"),  # direct, no header
            (1, "203.0.113.7", "203.0.113.7"),  # what our proxy appended
            (1, "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # a client's forged start is ignored
            (2, "6.6.6.6, 203.0.113.7, 10.1.1.1", "203.0.113.7"),
        ],
    )
    def test_the_client_is_the_address_our_outermost_proxy_saw(
        self, rf, settings, proxies, forwarded, expected
    ):
        settings.PROXY_COUNT = proxies
        request = rf.get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
        assert client_ip(request) == expected


class TestLogout:
    def test_logging_out_is_not_a_lost_change(self, coordinator_client):
        response = coordinator_client.post(reverse("logout"), headers={"Referer": "/patients/"})
        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        text = coordinator_client.get(response["Location"]).text
        assert "not saved" not in text


class TestNames:
    @pytest.mark.parametrize(
        ("typed", "kept"),
        [
            ("Bo\u200bb", "Bob"),
            ("\ufeffAda", "Ada"),
            ("Ada\x07", "Ada"),
            ("Mary  Ann", "Mary Ann"),
            ("Zoë", "Zoë"),
            ("Nguyễn", "Nguyễn"),
        ],
    )
    def test_invisible_characters_are_not_kept(self, coordinator_client, typed, kept):
        data = {"mrn": "NAME-0001", "given_name": typed, "family_name": "Test"}
        coordinator_client.post(reverse("patient_create"), {**data, "date_of_birth": "1970-05-17"})
        assert Patient.objects.get(mrn="NAME-0001").given_name == kept

    def test_an_unreadable_character_is_refused_next_to_the_field(self, coordinator_client):
        data = {"mrn": "NAME-0002", "given_name": "Ren\ufffde", "family_name": "Test"}
        response = coordinator_client.post(
            reverse("patient_create"), {**data, "date_of_birth": "1970-05-17"}
        )
        assert "Part of the name could not be read" in response.text
        assert not Patient.objects.filter(mrn="NAME-0002").exists()


def test_htmx_keeps_no_copy_of_pages_in_the_browser(coordinator_client):
    text = coordinator_client.get(reverse("patient_list")).text
    assert '"historyCacheSize": 0' in text
    assert '"allowEval": false' in text

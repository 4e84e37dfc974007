"""One line per event: Django's loggers write through the root handler only, and an expected
4xx answer is logged without the traceback of its exception."""

import logging
import sys

from django.conf import settings

from tracker.log import ExpectedClientErrors


def record(status: int) -> logging.LogRecord:
    try:
        raise PermissionError("refused")
    except PermissionError:
        exc_info = sys.exc_info()
    entry = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "x", (), exc_info)
    entry.status_code = status
    return entry


def test_django_logs_through_the_root_handler_only():
    assert settings.LOGGING["loggers"]["django"] == {
        "handlers": [],
        "level": "INFO",
        "propagate": True,
    }
    assert logging.getLogger("django").handlers == []
    assert len(logging.getLogger().handlers) >= 1


def test_a_refused_request_is_one_line_without_a_traceback():
    entry = record(403)
    assert ExpectedClientErrors().filter(entry) is True
    assert entry.exc_info is None
    assert "Traceback" not in logging.Formatter().format(entry)


def test_an_error_keeps_its_traceback():
    entry = record(500)
    ExpectedClientErrors().filter(entry)
    assert "Traceback" in logging.Formatter().format(entry)

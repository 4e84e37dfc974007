"""Logging helpers (imported by the logging configuration, before Django's apps are ready)."""

from __future__ import annotations

import logging


class ExpectedClientErrors(logging.Filter):
    """A refused request (4xx) is logged as one line, without the traceback of its exception."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if record.exc_info and status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True

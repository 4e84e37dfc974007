"""Find the reminders due at a moment and send them here, without a worker: for sites that
run it from cron (every 15 minutes) instead of the worker, and for checking by hand."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from tracker import clock
from tracker.services import reminders


class Command(BaseCommand):
    help = "Send the reminders due now (or at --at), in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at",
            help="The moment to act as if it were, e.g. 2026-11-23T08:15 (the clinic's time "
            "zone unless it carries its own offset).",
        )

    def handle(self, *args: Any, at: str | None = None, **options: Any) -> None:
        moment = clock.now()
        if at:
            try:
                moment = datetime.fromisoformat(at)
            except ValueError:
                raise CommandError(
                    f"--at {at!r} is not a date and time like 2026-11-23T08:15"
                ) from None
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        outcomes = reminders.send_due(at=moment)
        local = timezone.localtime(moment)
        if not outcomes:
            self.stdout.write(f"Nothing to send at {local:%Y-%m-%d %H:%M %Z}.")
            return
        done = ", ".join(f"{outcome}: {n}" for outcome, n in sorted(outcomes.items()))
        self.stdout.write(f"E-mails at {local:%Y-%m-%d %H:%M %Z}: {done}.")

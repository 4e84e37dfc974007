"""Load or update the shipped protocol library, with a history row for every change.

`loaddata` writes rows raw, so django-simple-history records nothing; this saves each
protocol and step like an edit in the admin (who: the system; why: "Protocol library
loaded"), and only those that change. Safe to run again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tracker.models import Protocol, ProtocolStep

REASON = "Protocol library loaded"


def _save_changed(instance: Any, fields: dict[str, Any]) -> str:
    """Set the fields; save with history when new or changed. 'added', 'changed' or ''."""
    is_new = instance.pk is None
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    if not is_new and not changed:
        return ""
    for name, value in fields.items():
        setattr(instance, name, value)
    instance.full_clean(validate_unique=False, validate_constraints=False)
    instance._change_reason = REASON
    instance.save()
    return "added" if is_new else "changed"


class Command(BaseCommand):
    help = "Load or update the protocol library (fixtures/protocols.json), with history."

    def add_arguments(self, parser: Any) -> None:
        default = Path(settings.FIXTURE_DIRS[0]) / "protocols.json"
        parser.add_argument("path", nargs="?", default=str(default))

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            rows = json.loads(path.read_text())
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {path}: {error}") from None
        done: dict[str, int] = {"added": 0, "changed": 0, "": 0}
        protocols: dict[str, Protocol] = {}
        for row in rows:
            fields = dict(row["fields"])
            if row["model"] == "tracker.protocol":
                protocol = Protocol.objects.filter(slug=fields["slug"]).first() or Protocol()
                outcome = _save_changed(protocol, fields)
                if outcome == "changed":
                    protocol.count_edit()
                done[outcome] += 1
                protocols[protocol.slug] = protocol
        listed: dict[Protocol, set[str]] = {}
        for row in rows:
            fields = dict(row["fields"])
            if row["model"] != "tracker.protocolstep":
                continue
            fields.setdefault("retired", False)
            (slug,) = fields.pop("protocol")
            protocol = protocols.get(slug) or Protocol.objects.get(slug=slug)
            step = ProtocolStep.objects.filter(
                protocol=protocol, key=fields["key"]
            ).first() or ProtocolStep(protocol=protocol)
            outcome = _save_changed(step, fields)
            if outcome == "changed":
                protocol.count_edit()  # course pages kept in the cache show the new text
            done[outcome] += 1
            listed.setdefault(protocol, set()).add(step.key)
        retired = removed = 0
        for protocol, keys in listed.items():
            for step in protocol.steps.exclude(key__in=keys).filter(retired=False):
                # A step that left the library: gone when no course has it, else retired
                # (its milestones stay on their courses; new courses do not plan it).
                step._change_reason = REASON  # type: ignore[attr-defined]
                if step.milestones.exists():
                    step.retired = True
                    step.save(update_fields=["retired"])
                    retired += 1
                else:
                    step.delete()
                    removed += 1
                protocol.count_edit()
        self.stdout.write(
            f"Protocol library: {done['added']} added, {done['changed']} changed, "
            f"{done['']} unchanged, {retired} retired, {removed} removed."
        )

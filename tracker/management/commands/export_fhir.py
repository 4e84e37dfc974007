"""Hand courses over as FHIR R4: NDJSON per resource type (`--course CODE` or `--all`)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker import clock
from tracker.fhir.course import export_course
from tracker.fhir.ndjson import NdjsonWriter
from tracker.fhir.validate import InvalidResource
from tracker.models import TransplantCourse


class Command(BaseCommand):
    help = (
        "Export courses as FHIR R4 NDJSON, one file per resource type (Patient.ndjson, "
        "CarePlan.ndjson, ...), every resource checked against the R4 models. Each course's "
        "export is recorded on its History."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument(
            "--course", action="append", metavar="CODE", help="A course's code (repeatable)."
        )
        which.add_argument("--all", action="store_true", help="Every course.")
        parser.add_argument(
            "--out",
            type=Path,
            default=None,
            help="The directory to write to (default: fhir-export-<today>); it must be empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        out: Path = options["out"] or Path(f"fhir-export-{clock.today().isoformat()}")
        if out.exists() and (not out.is_dir() or any(out.iterdir())):
            raise CommandError(f"{out} is not an empty directory: choose another --out.")
        courses = TransplantCourse.objects.select_related("patient", "protocol")
        selected: Iterable[TransplantCourse]
        if options["all"]:
            selected = courses.order_by("patient__mrn", "sequence").iterator(chunk_size=200)
        else:
            codes = [self._code(text) for text in options["course"]]
            found = {course.code: course for course in courses.filter(code__in=codes)}
            missing = [str(code) for code in codes if code not in found]
            if missing:
                raise CommandError(f"No course with the code {', '.join(missing)}.")
            selected = [found[code] for code in codes]
        exported = 0
        with NdjsonWriter(out) as writer:
            for course in selected:
                try:
                    export = export_course(course, by=None, how="bulk")
                except InvalidResource as error:
                    raise CommandError(
                        f"Course {course.code} did not pass the FHIR R4 check, so the export "
                        f"stopped (the files so far are in {out}): {error}"
                    ) from None
                writer.write(export.resources)
                exported += 1
        if not exported:
            self.stdout.write(f"No courses to export; {out} is empty.")
            return
        total = sum(writer.written.values())
        kinds = ", ".join(f"{name} {count}" for name, count in sorted(writer.written.items()))
        self.stdout.write(
            f"Exported {exported} course{'s' if exported != 1 else ''} as {total} FHIR R4 "
            f"resources to {out}/ ({kinds})."
        )

    @staticmethod
    def _code(text: str) -> uuid.UUID:
        try:
            return uuid.UUID(text.strip())
        except ValueError:
            raise CommandError(
                f"{text!r} is not a course code (a UUID, from the course's address)."
            ) from None

"""`manage.py export_fhir`: NDJSON per resource type, on the demo data and on chosen courses;
each resource once, each course's export on its History, clear errors."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tracker.fhir.validate import validate
from tracker.models import CourseEvent, EventKind, TransplantCourse

pytestmark = pytest.mark.django_db


def read(directory):
    return {
        path.stem: [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for path in sorted(directory.glob("*.ndjson"))
    }


def test_the_bulk_export_of_the_demo_data_validates_line_by_line(tmp_path, today):
    call_command("load_protocols", verbosity=0)
    call_command("demo", stdout=StringIO())
    out = StringIO()
    call_command("export_fhir", "--all", "--out", str(tmp_path / "export"), stdout=out)
    files = read(tmp_path / "export")
    courses = TransplantCourse.objects.count()
    assert len(files["CarePlan"]) == courses
    assert {"Patient", "PlanDefinition", "CarePlan", "Task", "Observation", "Provenance"} <= set(
        files
    )
    for resource_type, resources in files.items():
        ids = [r["id"] for r in resources]
        assert len(ids) == len(set(ids)), f"{resource_type} written twice"
        for resource in resources:
            assert resource["resourceType"] == resource_type
            validate(resource)
    assert len(files["Patient"]) < courses  # a patient with two courses is written once
    assert f"Exported {courses} courses as" in out.getvalue()
    exported = CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED)
    assert exported.count() == courses
    assert {event.data["how"] for event in exported} == {"bulk"}
    assert {event.by_name for event in exported} == {"system"}


def test_chosen_courses_only(tmp_path, autologous, procedure):
    call_command(
        "export_fhir", "--course", str(procedure.code), "--out", str(tmp_path), stdout=StringIO()
    )
    files = read(tmp_path)
    assert [r["id"] for r in files["CarePlan"]] == [str(procedure.code)]
    assert files["Patient"][0]["identifier"][0]["value"] == "GOLD-0003"
    assert CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED, course=autologous).count() == 0


def test_an_unknown_course_or_a_used_directory_is_refused_before_anything_is_written(
    tmp_path, autologous
):
    with pytest.raises(CommandError, match="not a course code"):
        call_command("export_fhir", "--course", "DEMO-0001", "--out", str(tmp_path / "a"))
    with pytest.raises(CommandError, match="No course with the code"):
        call_command(
            "export_fhir",
            "--course",
            "00000000-0000-4000-8000-000000000000",
            "--out",
            str(tmp_path / "b"),
        )
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "Patient.ndjson").write_text("{}\n")
    with pytest.raises(CommandError, match="not an empty directory"):
        call_command("export_fhir", "--all", "--out", str(tmp_path / "used"))
    assert not CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED).exists()
    with pytest.raises(CommandError):
        call_command("export_fhir", "--out", str(tmp_path / "c"))  # neither --course nor --all

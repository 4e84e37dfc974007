"""One course of each kind exported to a Bundle that matches its golden file, validates, and
round-trips through the FHIR R4 models unchanged.

The golden files show what leaves the app: a change to them is a change to the hand-over,
read in review. Ids (random UUIDs and the uuid5s made from them) are numbered in the order
they first appear. To write them again after an intended change:
    UPDATE_GOLDEN=1 pytest tests/fhir/test_golden.py
"""

import json
import os
import re
from pathlib import Path

import pytest
from fhirclient.models.bundle import Bundle

from tracker import clock
from tracker.fhir.course import course_resources
from tracker.fhir.validate import validate

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
KINDS = ["autologous", "allogeneic", "procedure"]


def numbered_ids(text: str) -> str:
    """The text with each distinct UUID replaced by <uuid-N>, N in order of first appearance."""
    names: dict[str, str] = {}

    def name(match: re.Match[str]) -> str:
        return names.setdefault(match.group(0), f"<uuid-{len(names) + 1}>")

    return UUID.sub(name, text)


def bundle_of(course, today):
    return course_resources(course, today=today).bundle(clock.now())


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_of_course_exports_as_its_golden_bundle(kind, request, today):
    bundle = bundle_of(request.getfixturevalue(kind), today)
    text = numbered_ids(json.dumps(bundle, indent=1, ensure_ascii=False)) + "\n"
    path = GOLDEN / f"{kind}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), (
        f"The {kind} export changed: compare with {path}, and if the change is meant, write "
        "the golden files again with UPDATE_GOLDEN=1."
    )


@pytest.mark.parametrize("kind", KINDS)
def test_the_bundle_round_trips_through_the_r4_models(kind, request, today):
    bundle = bundle_of(request.getfixturevalue(kind), today)
    parsed = Bundle(bundle, strict=True)
    assert parsed.type == "collection"
    assert len(parsed.entry) == len(bundle["entry"])
    again = json.loads(json.dumps(parsed.as_json()))
    assert again == json.loads(json.dumps(bundle))
    assert validate(again)


@pytest.mark.parametrize("kind", KINDS)
def test_every_reference_in_the_bundle_resolves_inside_it(kind, request, today):
    bundle = bundle_of(request.getfixturevalue(kind), today)
    present = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in bundle["entry"]}
    full_urls = [e["fullUrl"] for e in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    references = re.findall(r'"reference": "([^"]+)"', json.dumps(bundle))
    assert references
    assert set(references) <= present

"""Every resource we export is checked against FHIR R4 (4.0.1) by a maintained model library,
fhirclient's R4 models (SMART Health IT), in strict mode: an unknown element, a wrong type, a
missing required element or a malformed date fails. What the library does not check (the
codes of required value sets) is checked here against the tables of the R4 specification."""

from __future__ import annotations

from typing import Any

# fhirclient ships no type information.
from fhirclient.models.fhirabstractbase import FHIRValidationError  # type: ignore[import-untyped]
from fhirclient.models.fhirelementfactory import FHIRElementFactory  # type: ignore[import-untyped]

# Required bindings (FHIR R4 4.0.1) of the status elements we fill in.
REQUIRED_CODES: dict[tuple[str, str], frozenset[str]] = {
    ("CarePlan", "status"): frozenset(
        {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"}
    ),
    ("CarePlan", "intent"): frozenset({"proposal", "plan", "order", "option"}),
    ("CarePlan.activity.detail", "status"): frozenset(
        {
            "not-started",
            "scheduled",
            "in-progress",
            "on-hold",
            "completed",
            "cancelled",
            "stopped",
            "unknown",
            "entered-in-error",
        }
    ),
    ("Task", "status"): frozenset(
        {
            "draft",
            "requested",
            "received",
            "accepted",
            "rejected",
            "ready",
            "cancelled",
            "in-progress",
            "on-hold",
            "failed",
            "completed",
            "entered-in-error",
        }
    ),
    ("Task", "intent"): frozenset(
        {
            "unknown",
            "proposal",
            "plan",
            "order",
            "original-order",
            "reflex-order",
            "filler-order",
            "instance-order",
            "option",
        }
    ),
    ("Observation", "status"): frozenset(
        {"registered", "preliminary", "final", "amended", "corrected", "cancelled", "unknown"}
    ),
    ("Immunization", "status"): frozenset({"completed", "entered-in-error", "not-done"}),
    ("Procedure", "status"): frozenset(
        {
            "preparation",
            "in-progress",
            "not-done",
            "on-hold",
            "stopped",
            "completed",
            "entered-in-error",
            "unknown",
        }
    ),
    ("MedicationStatement", "status"): frozenset(
        {
            "active",
            "completed",
            "entered-in-error",
            "intended",
            "stopped",
            "on-hold",
            "unknown",
            "not-taken",
        }
    ),
    ("PlanDefinition", "status"): frozenset({"draft", "active", "retired", "unknown"}),
    ("Bundle", "type"): frozenset(
        {
            "document",
            "message",
            "transaction",
            "transaction-response",
            "batch",
            "batch-response",
            "history",
            "searchset",
            "collection",
        }
    ),
}
RELATIONSHIPS = frozenset(
    {
        "before-start",
        "before",
        "before-end",
        "concurrent-with-start",
        "concurrent",
        "concurrent-with-end",
        "after-start",
        "after",
        "after-end",
    }
)


class InvalidResource(ValueError):
    """A resource FHIR R4 would not accept, with where and why."""


def validate(resource: dict[str, Any]) -> Any:
    """The resource parsed by the R4 models (strict); InvalidResource when it is not valid."""
    resource_type = resource.get("resourceType", "")
    try:
        parsed = FHIRElementFactory.instantiate(resource_type, resource)
    except FHIRValidationError as error:
        raise InvalidResource(f"{resource_type}/{resource.get('id')}: {error}") from None
    if type(parsed).__name__ != resource_type:
        raise InvalidResource(f"Not a FHIR R4 resource type: {resource_type!r}")
    problems = _code_problems(resource)
    if problems:
        raise InvalidResource(f"{resource_type}/{resource.get('id')}: {'; '.join(problems)}")
    if resource_type == "Bundle":
        for entry in resource.get("entry", []):
            validate(entry["resource"])
    return parsed


def _code_problems(resource: dict[str, Any]) -> list[str]:
    resource_type = resource["resourceType"]
    problems = []
    for (where, element), allowed in REQUIRED_CODES.items():
        if where == resource_type and element in resource and resource[element] not in allowed:
            problems.append(f"{element} {resource[element]!r} is not in its value set")
    if resource_type == "CarePlan":
        allowed = REQUIRED_CODES[("CarePlan.activity.detail", "status")]
        for activity in resource.get("activity", []):
            if activity["detail"]["status"] not in allowed:
                problems.append(f"activity status {activity['detail']['status']!r}")
    if resource_type == "PlanDefinition":
        ids = {action["id"] for action in resource.get("action", [])}
        for action in resource.get("action", []):
            for related in action.get("relatedAction", []):
                if related["relationship"] not in RELATIONSHIPS:
                    problems.append(f"relationship {related['relationship']!r}")
                if related["actionId"] not in ids:
                    problems.append(f"action {action['id']} is timed from a missing action")
    if resource_type == "Observation":
        values = [key for key in resource if key.startswith("value")]
        if len(values) != 1:
            problems.append("an Observation here has exactly one value")
    return problems

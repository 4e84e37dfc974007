"""The bulk hand-over: resources as NDJSON, one file per resource type (as FHIR Bulk Data
writes them), each resource once however many courses share it (a patient's Patient, a
protocol's PlanDefinition, the patient's own events)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any


class NdjsonWriter:
    """Writes resources to DIR/<ResourceType>.ndjson, skipping a resource already written."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.files: dict[str, IO[str]] = {}
        self.written: dict[str, int] = {}
        self.seen: set[tuple[str, str]] = set()

    def __enter__(self) -> NdjsonWriter:
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *_: object) -> None:
        for file in self.files.values():
            file.close()

    def write(self, resources: Iterable[dict[str, Any]]) -> None:
        for resource in resources:
            resource_type = resource["resourceType"]
            key = (resource_type, resource["id"])
            if key in self.seen:
                continue
            self.seen.add(key)
            if resource_type not in self.files:
                path = self.directory / f"{resource_type}.ndjson"
                self.files[resource_type] = path.open("w", encoding="utf-8")
                self.written[resource_type] = 0
            line = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
            self.files[resource_type].write(line + "\n")
            self.written[resource_type] += 1

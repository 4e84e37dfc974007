"""FHIR R4 export: a course as a CarePlan (and what hangs off it) that other systems can read.

A leaf: nothing in the app imports this package except its two entry points, the course's
download (tracker.views.fhir) and `manage.py export_fhir` (tests/fhir/test_leaf.py holds it).
`codes` keeps the code tables, `resources` maps records to resources (pure), `course` reads a
course and records the export, `validate` checks resources against the R4 models, `ndjson`
writes the bulk hand-over. docs/fhir.md is the mapping table.
"""

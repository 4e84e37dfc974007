"""tracker.fhir is a leaf: nothing in the app imports it but its two entry points, so the
export can change (or go) without touching the clinical code."""

import ast
from pathlib import Path

import tracker

ENTRY_POINTS = {"views/fhir.py", "management/commands/export_fhir.py"}


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_only_the_entry_points_import_the_fhir_package():
    root = Path(tracker.__file__).parent
    importers = {
        str(path.relative_to(root))
        for path in root.rglob("*.py")
        if path.parts[len(root.parts)] != "fhir"
        and any(
            name == "tracker.fhir" or name.startswith("tracker.fhir.") for name in imports_of(path)
        )
    }
    assert importers == ENTRY_POINTS


def test_the_mapping_functions_touch_neither_the_database_nor_the_clock():
    source = (Path(tracker.__file__).parent / "fhir" / "resources.py").read_text(encoding="utf-8")
    names = imports_of(Path(tracker.__file__).parent / "fhir" / "resources.py")
    assert "tracker.clock" not in names
    assert "django.db" not in names
    assert ".objects" not in source

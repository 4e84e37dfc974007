"""tracker/rules/ is pure: the standard library, dateutil and itself, never Django."""

import ast
import sys
from pathlib import Path

import pytest

import tracker.rules

RULES = Path(tracker.rules.__file__).parent
MODULES = sorted(RULES.glob("*.py"))
ALLOWED = {"dateutil", "__future__"}


def imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif isinstance(node, ast.ImportFrom):  # relative: inside rules/ by construction
            continue
    return names


def outside(name: str) -> bool:
    top = name.split(".")[0]
    if name == "tracker.rules" or name.startswith("tracker.rules."):
        return False
    return top not in sys.stdlib_module_names and top not in ALLOWED


def test_every_rules_module_is_checked():
    assert {path.stem for path in MODULES} >= {
        "schedule",
        "engraftment",
        "pasted_counts",
        "chart",
        "plain_language",
    }


@pytest.mark.parametrize("path", MODULES, ids=lambda path: path.stem)
def test_a_rules_module_imports_nothing_outside_rules_the_standard_library_and_dateutil(path):
    assert sorted(name for name in imported(path) if outside(name)) == []


def test_the_check_would_catch_django():
    assert outside("django.db")
    assert outside("tracker.models")
    assert not outside("tracker.rules.schedule")

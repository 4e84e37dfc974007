"""Every database constraint speaks the clinic's words when a form meets it."""

import pytest
from django.apps import apps
from django.db.models import BaseConstraint

from tracker.forms import BloodCountForm

CONSTRAINTS = [
    (model.__name__, constraint)
    for model in apps.get_app_config("tracker").get_models()
    for constraint in model._meta.constraints
]


def test_there_are_constraints_to_check():
    assert len(CONSTRAINTS) >= 16


@pytest.mark.parametrize(("model", "constraint"), CONSTRAINTS, ids=lambda v: str(v))
def test_each_constraint_has_a_message_of_its_own(model, constraint):
    message = constraint.get_violation_error_message()
    assert message != BaseConstraint.default_violation_error_message % {"name": constraint.name}
    assert "Constraint" not in message
    assert constraint.name not in message


@pytest.mark.django_db
def test_an_empty_count_is_explained_without_the_constraints_name(course, today):
    form = BloodCountForm({"drawn_on": today.isoformat()}, course=course)
    assert not form.is_valid()
    errors = " ".join(form.non_field_errors())
    assert "Enter an ANC, a platelet count, or mark a transfusion." in errors
    assert "count_has_a_value" not in errors
    assert "Constraint" not in errors

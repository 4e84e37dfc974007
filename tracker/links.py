"""Addresses of rows (a course, a milestone, a count), reversed once instead of once per row.

`reverse()` costs about as much as drawing a table row; a page of hundreds of rows reverses
each URL pattern once with a placeholder code and fills in each row's code.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from uuid import UUID

from django.urls import reverse

# Never a real record's code.
CODE_PLACEHOLDER = str(UUID(int=0))


@cache
def pattern(name: str) -> str:
    """The URL named `name` (with one code argument), with the placeholder for the code."""
    return reverse(name, args=[CODE_PLACEHOLDER])


def with_code(url_pattern: str, code: UUID | str) -> str:
    return url_pattern.replace(CODE_PLACEHOLDER, str(code))


def addresses(name: str) -> Callable[[UUID | str], str]:
    """`addresses("course_detail")(course.code)`: the URL of each row, reversed once."""
    url_pattern = pattern(name)
    return lambda code: with_code(url_pattern, code)

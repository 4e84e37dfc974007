"""The rules of medicine, in pure Python: dates and numbers in, dates and numbers out.

Nothing here imports Django or anything outside this package but the standard library and
dateutil (tests/rules/test_purity.py checks it), so every rule is tested without a database.
"""

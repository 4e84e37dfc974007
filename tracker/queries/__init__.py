"""Reads that span models: the follow-up list, engraftment status, a course's history."""

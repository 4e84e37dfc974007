"""Thin views by area: look up through the user, check the role, read the form, call a
service, render the page or its fragment (htmx) or redirect (a plain form post)."""

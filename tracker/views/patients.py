"""Patients: the searchable list, registration, a patient's page and portal invitation."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker import clock, services
from tracker.access import get_patient_for, require
from tracker.forms import InviteForm, PatientForm, PatientSearchForm, show_errors
from tracker.http import AuthenticatedRequest, role_required
from tracker.models import Patient
from tracker.views.calendars import feed_context
from tracker.views.reminders import reminder_context

PATIENTS_PER_PAGE = 50


@require_GET
@login_required
@role_required("view_patient")
def patient_list(request: AuthenticatedRequest) -> TemplateResponse:
    search = PatientSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    patients = (
        Patient.objects.visible_to(request.user)
        .search(query)
        .annotate(course_count=Count("courses"), latest_day_zero=Max("courses__day_zero"))
        .order_by("family_name", "given_name", "mrn")
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    template = "patients/list.html"
    if request.htmx:
        template += "#results"
    context = {
        "search": search,
        "query": query,
        "page": page,
        "page_query": urlencode({"q": query}) if query else "",
    }
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
@role_required("add_patient")
def patient_create(request: AuthenticatedRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect(patient)
    return TemplateResponse(request, "patients/form.html", {"form": form})


@require_http_methods(["GET", "POST"])
@login_required
def patient_edit(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """A coordinator corrects a patient's details, audited."""
    patient = get_patient_for(request.user, code)
    require(request.user, "change_patient")
    form = PatientForm(request.POST or None, instance=Patient.objects.get(pk=patient.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.change_patient(patient=patient, changes=changes, by=request.user)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "The patient's details are saved.")
            return redirect(patient)
    context = {"form": form, "patient": patient}
    return TemplateResponse(request, "patients/form.html", context)


def _patient_page(
    request: AuthenticatedRequest, patient: Patient, **extra: Any
) -> TemplateResponse:
    context = {
        "patient": patient,
        "today": clock.today(),
        "courses": patient.courses.select_related("protocol").order_by("-sequence"),
        "invite_form": extra.pop("invite_form", None) or InviteForm(),
        "died_on": patient.died_on,
        **feed_context(request, patient),
        **extra,
    }
    if request.user.has_perm("tracker.manage_reminders"):
        context.update(reminder_context(patient, for_self=False))
    return TemplateResponse(request, "patients/detail.html", context)


@require_GET
@login_required
def patient_detail(request: AuthenticatedRequest, code: UUID) -> TemplateResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "view_patient")
    return _patient_page(request, patient)


@require_POST
@login_required
def patient_invite(request: AuthenticatedRequest, code: UUID) -> TemplateResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "invite_patient")
    form = InviteForm(request.POST)
    link = None
    if form.is_valid():
        try:
            link = services.invite_patient(
                patient=patient,
                email=form.cleaned_data["email"],
                by=request.user,
                build_url=request.build_absolute_uri,
            )
        except ValidationError as error:
            form.add_error("email", error.messages[0])
        else:
            patient.refresh_from_db()
    response = _patient_page(request, patient, invite_form=form, invite_link=link)
    if request.htmx:
        response.template_name = "patients/detail.html#invite"
    return response

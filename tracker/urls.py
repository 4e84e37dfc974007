from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from tracker.views import (
    accounts,
    calendars,
    counts,
    courses,
    follow_up,
    gvhd,
    health,
    history,
    immunity,
    milestones,
    patients,
    portal,
    results,
)

urlpatterns = [
    path("", portal.home, name="home"),
    path("patients/", patients.patient_list, name="patient_list"),
    path("patients/new/", patients.patient_create, name="patient_create"),
    path("patients/<uuid:code>/", patients.patient_detail, name="patient_detail"),
    path("patients/<uuid:code>/courses/new/", courses.course_start, name="course_start"),
    path("patients/<uuid:code>/invite/", patients.patient_invite, name="patient_invite"),
    path("patients/<uuid:code>/feed/", calendars.patient_feed, name="patient_feed"),
    path("courses/<uuid:code>/", courses.course_detail, name="course_detail"),
    path("courses/<uuid:code>/phases/<slug:phase>/", courses.course_phase, name="course_phase"),
    path("courses/<uuid:code>/day-zero/", courses.day_zero_move, name="day_zero_move"),
    path("courses/<uuid:code>/end/", courses.course_end, name="course_end"),
    path(
        "courses/<uuid:code>/day-zero/confirm/",
        courses.day_zero_confirm,
        name="day_zero_confirm",
    ),
    path("courses/<uuid:code>/history/", history.course_history, name="course_history"),
    path("courses/<uuid:code>/calendar/", calendars.course_calendar, name="course_calendar"),
    path("courses/<uuid:code>/counts/", counts.counts_add, name="counts_add"),
    path("courses/<uuid:code>/counts/paste/", counts.counts_paste, name="counts_paste"),
    path("counts/<uuid:code>/", counts.count_edit, name="count_edit"),
    path("counts/<uuid:code>/delete/", counts.count_delete, name="count_delete"),
    path("courses/<uuid:code>/results/", results.results_add, name="results_add"),
    path("courses/<uuid:code>/results/paste/", results.results_paste, name="results_paste"),
    path("results/<uuid:code>/delete/", results.result_delete, name="result_delete"),
    path("courses/<uuid:code>/gvhd/acute/", gvhd.acute_add, name="gvhd_acute_add"),
    path("gvhd/acute/<uuid:code>/", gvhd.acute_edit, name="gvhd_acute_edit"),
    path("gvhd/acute/<uuid:code>/delete/", gvhd.acute_delete, name="gvhd_acute_delete"),
    path("courses/<uuid:code>/gvhd/chronic/", gvhd.chronic_diagnose, name="gvhd_chronic_diagnose"),
    path("gvhd/chronic/<uuid:code>/score/", gvhd.chronic_score, name="gvhd_chronic_score"),
    path("gvhd/chronic/<uuid:code>/resolve/", gvhd.chronic_resolve, name="gvhd_chronic_resolve"),
    path("gvhd/chronic/<uuid:code>/reopen/", gvhd.chronic_reopen, name="gvhd_chronic_reopen"),
    path(
        "gvhd/chronic-scores/<uuid:code>/delete/",
        gvhd.scoring_delete,
        name="gvhd_scoring_delete",
    ),
    path(
        "courses/<uuid:code>/vaccinations/",
        immunity.vaccination_add,
        name="vaccination_add",
    ),
    path(
        "vaccinations/<uuid:code>/delete/",
        immunity.vaccination_delete,
        name="vaccination_delete",
    ),
    path("courses/<uuid:code>/immunosuppression/", immunity.drug_add, name="drug_add"),
    path("immunosuppression/<uuid:code>/stop/", immunity.drug_stop, name="drug_stop"),
    path("immunosuppression/<uuid:code>/delete/", immunity.drug_delete, name="drug_delete"),
    path("courses/<uuid:code>/ivig/", immunity.ivig_add, name="ivig_add"),
    path("courses/<uuid:code>/letermovir/", immunity.letermovir, name="letermovir"),
    path("courses/<uuid:code>/irradiation/", immunity.irradiation, name="irradiation"),
    path("ivig/<uuid:code>/delete/", immunity.ivig_delete, name="ivig_delete"),
    path(
        "milestones/<uuid:code>/complete/", milestones.milestone_complete, name="milestone_complete"
    ),
    path("milestones/<uuid:code>/reopen/", milestones.milestone_reopen, name="milestone_reopen"),
    path("checklist/<uuid:code>/", milestones.checklist_toggle, name="checklist_toggle"),
    path("follow-up/", follow_up.follow_up_list, name="follow_up"),
    path("follow-up/week/", follow_up.follow_up_week, name="follow_up_week"),
    path("follow-up/export.csv", follow_up.follow_up_csv, name="follow_up_csv"),
    path("immune-recovery/", follow_up.recovery_list, name="recovery"),
    path("immune-recovery/export.csv", follow_up.recovery_csv, name="recovery_csv"),
    path("me/", portal.my_page, name="my_page"),
    path("me/calendar/", calendars.my_calendar, name="my_calendar"),
    path("me/feed/", calendars.my_feed, name="my_feed"),
    path("feeds/<str:token>.ics", calendars.calendar_feed, name="calendar_feed"),
    path("accounts/login/", accounts.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        accounts.PasswordResetView.as_view(),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("healthz", health.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

if settings.BENCHMARK_VIEWS:  # never in tests or production: see bench/pages.py
    urlpatterns.append(path("bench/bare/", health.bare, name="bench_bare"))

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from tracker import views

urlpatterns = [
    path("", views.home, name="home"),
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<uuid:code>/", views.patient_detail, name="patient_detail"),
    path("patients/<uuid:code>/courses/new/", views.course_start, name="course_start"),
    path("courses/<uuid:code>/", views.course_detail, name="course_detail"),
    path("courses/<uuid:code>/day-zero/", views.day_zero_move, name="day_zero_move"),
    path(
        "courses/<uuid:code>/day-zero/confirm/",
        views.day_zero_confirm,
        name="day_zero_confirm",
    ),
    path("milestones/<uuid:code>/complete/", views.milestone_complete, name="milestone_complete"),
    path("milestones/<uuid:code>/reopen/", views.milestone_reopen, name="milestone_reopen"),
    path("checklist/<uuid:code>/", views.checklist_toggle, name="checklist_toggle"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

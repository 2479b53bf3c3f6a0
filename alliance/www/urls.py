"""Every page of Alliance. Objects are addressed by public UUID only."""

from django.urls import path

from alliance.www import auth_views, charter_views, home_views, pupil_views

urlpatterns = [
    path("", home_views.home, name="home"),
    path("login/", auth_views.AllianceLoginView.as_view(), name="login"),
    path("logout/", auth_views.logout_view, name="logout"),
    path("school/switch/", home_views.school_switch, name="school_switch"),
    path("charter/", charter_views.charter, name="charter"),
    path("charter/adhere/", charter_views.charter_adhere, name="charter_adhere"),
    path("charter/publish/", charter_views.charter_publish, name="charter_publish"),
    path("charter/board/", charter_views.board_presentation, name="charter_board"),
    path("pupils/", pupil_views.pupil_list, name="pupil_list"),
    path("pupils/new/", pupil_views.pupil_create, name="pupil_create"),
    path("pupils/import/", pupil_views.roster_import, name="roster_import"),
    path("pupils/<uuid:public_id>/", pupil_views.pupil_detail, name="pupil_detail"),
    path("pupils/<uuid:public_id>/edit/", pupil_views.pupil_edit, name="pupil_edit"),
    path(
        "pupils/<uuid:public_id>/guardians/new/",
        pupil_views.guardian_create,
        name="guardian_create",
    ),
    path(
        "pupils/<uuid:public_id>/access-log/", pupil_views.pupil_access_log, name="pupil_access_log"
    ),
    path("access-log/", pupil_views.school_access_log, name="access_log"),
]

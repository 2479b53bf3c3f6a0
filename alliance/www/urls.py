"""Every page of Alliance. Objects are addressed by public UUID only."""

from django.urls import path

from alliance.www import (
    agreement_views,
    auth_views,
    case_views,
    charter_views,
    dashboard_views,
    detection_settings_views,
    event_import_views,
    home_views,
    meeting_views,
    observation_views,
    partner_views,
    plan_views,
    privacy_views,
    pupil_views,
    watchlist_views,
)

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
    path(
        "pupils/import/confirm/",
        pupil_views.roster_import_confirm,
        name="roster_import_confirm",
    ),
    path(
        "pupils/import/history/",
        pupil_views.roster_import_history,
        name="roster_import_history",
    ),
    path(
        "pupils/import/jobs/<uuid:public_id>/",
        pupil_views.roster_import_job,
        name="roster_import_job",
    ),
    path(
        "pupils/import/jobs/<uuid:public_id>/progress/",
        pupil_views.roster_import_job_progress,
        name="roster_import_job_progress",
    ),
    path("pupils/<uuid:public_id>/", pupil_views.pupil_detail, name="pupil_detail"),
    path("pupils/<uuid:public_id>/edit/", pupil_views.pupil_edit, name="pupil_edit"),
    path("pupils/<uuid:public_id>/left/", pupil_views.pupil_mark_left, name="pupil_mark_left"),
    path(
        "pupils/<uuid:public_id>/guardians/new/",
        pupil_views.guardian_create,
        name="guardian_create",
    ),
    path(
        "pupils/<uuid:public_id>/access-log/", pupil_views.pupil_access_log, name="pupil_access_log"
    ),
    path("access-log/", pupil_views.school_access_log, name="access_log"),
    # Right of access (issue 5): the head's export, the author's release of a secret note.
    path(
        "pupils/<uuid:public_id>/access-export/",
        privacy_views.pupil_access_export_view,
        name="pupil_access_export",
    ),
    # Retention (decision 0015): the schedule and the anonymised counts, for the head.
    path("privacy/retention/", privacy_views.retention_overview, name="retention_overview"),
    path(
        "cases/notes/<uuid:public_id>/release/",
        privacy_views.case_note_release,
        name="case_note_release",
    ),
    # Cases (situations): need-to-know, see docs/decisions/0007-need-to-know-and-secrecy.md.
    path("pupils/<uuid:public_id>/refer/", case_views.case_refer, name="case_refer"),
    path("cases/", case_views.case_list, name="case_list"),
    path("cases/signs/", case_views.sign_catalogue, name="sign_catalogue"),
    path("cases/<uuid:public_id>/", case_views.case_detail, name="case_detail"),
    path("cases/<uuid:public_id>/edit/", case_views.case_edit, name="case_edit"),
    path("cases/<uuid:public_id>/transition/", case_views.case_transition, name="case_transition"),
    path("cases/<uuid:public_id>/close/", case_views.case_close, name="case_close"),
    path("cases/<uuid:public_id>/reopen/", case_views.case_reopen, name="case_reopen"),
    path(
        "cases/<uuid:public_id>/contacts/",
        case_views.family_contact_create,
        name="case_family_contact",
    ),
    path("cases/<uuid:public_id>/exception/", case_views.family_exception, name="case_exception"),
    path("cases/<uuid:public_id>/team/add/", case_views.case_team_add, name="case_team_add"),
    path(
        "cases/<uuid:public_id>/team/remove/", case_views.case_team_remove, name="case_team_remove"
    ),
    path("cases/<uuid:public_id>/referent/", case_views.case_referent, name="case_referent"),
    path("cases/<uuid:public_id>/notes/", case_views.case_note_create, name="case_note"),
    # GPDS meetings, action plans, the head's dashboard (docs/decisions/0008-meetings-plans-dashboard.md).
    path("meetings/", meeting_views.meeting_list, name="meeting_list"),
    path("meetings/new/", meeting_views.meeting_create, name="meeting_create"),
    path("meetings/<uuid:public_id>/", meeting_views.meeting_detail, name="meeting_detail"),
    path("meetings/<uuid:public_id>/edit/", meeting_views.meeting_edit, name="meeting_edit"),
    path("meetings/<uuid:public_id>/cancel/", meeting_views.meeting_cancel, name="meeting_cancel"),
    path(
        "meetings/<uuid:public_id>/attendance/",
        meeting_views.meeting_attendance,
        name="meeting_attendance",
    ),
    path(
        "meetings/<uuid:public_id>/items/<uuid:item_id>/",
        meeting_views.agenda_item_record,
        name="agenda_item_record",
    ),
    path(
        "meetings/<uuid:public_id>/minutes.pdf",
        meeting_views.meeting_minutes_pdf,
        name="meeting_minutes_pdf",
    ),
    path("cases/<uuid:public_id>/plan/", plan_views.plan_for_case, name="plan_for_case"),
    path("plans/<uuid:public_id>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<uuid:public_id>/actions/new/", plan_views.plan_action_add, name="plan_action_add"),
    path("plans/actions/<uuid:public_id>/", plan_views.plan_action_edit, name="plan_action_edit"),
    path(
        "plans/actions/<uuid:public_id>/progress/",
        plan_views.plan_action_progress,
        name="plan_action_progress",
    ),
    path("plans/<uuid:public_id>/activate/", plan_views.plan_activate, name="plan_activate"),
    path(
        "plans/<uuid:public_id>/agreements/new/",
        plan_views.plan_agreement_add,
        name="plan_agreement_add",
    ),
    path(
        "plans/<uuid:public_id>/reviews/new/", plan_views.plan_review_open, name="plan_review_open"
    ),
    path("plans/reviews/<uuid:public_id>/", plan_views.plan_review, name="plan_review"),
    path("plans/action-types/", plan_views.action_types, name="action_types"),
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    # Agreements (conventions) and the board's approvals (docs/decisions/0013-agreements.md).
    path("agreements/", agreement_views.agreement_list, name="agreement_list"),
    path("agreements/new/", agreement_views.agreement_create, name="agreement_create"),
    path("agreements/<uuid:public_id>/", agreement_views.agreement_detail, name="agreement_detail"),
    path(
        "agreements/<uuid:public_id>/edit/", agreement_views.agreement_edit, name="agreement_edit"
    ),
    path(
        "agreements/<uuid:public_id>/signatures/",
        agreement_views.agreement_signature,
        name="agreement_signature",
    ),
    path(
        "agreements/<uuid:public_id>/board-approval/",
        agreement_views.agreement_board_approval,
        name="agreement_board_approval",
    ),
    path(
        "agreements/<uuid:public_id>/revoke/",
        agreement_views.agreement_revoke,
        name="agreement_revoke",
    ),
    path(
        "agreements/<uuid:public_id>/agreement.pdf",
        agreement_views.agreement_pdf,
        name="agreement_pdf",
    ),
    # Partner organisations and their people (docs/decisions/0014-partner-organisations.md).
    path("partners/", partner_views.partner_list, name="partner_list"),
    path("partners/new/", partner_views.partner_register, name="partner_register"),
    path("partners/<uuid:public_id>/", partner_views.partner_detail, name="partner_detail"),
    path(
        "partners/<uuid:public_id>/invite-admin/",
        partner_views.partner_admin_invite,
        name="partner_admin_invite",
    ),
    path("partners/<uuid:public_id>/grant/", partner_views.partner_grant, name="partner_grant"),
    path(
        "partners/<uuid:public_id>/memberships/end/",
        partner_views.partner_membership_end,
        name="partner_membership_end",
    ),
    path("organisation/", partner_views.my_organisations, name="my_organisations"),
    path(
        "organisation/<uuid:public_id>/",
        partner_views.organisation_admin,
        name="organisation_admin",
    ),
    path(
        "organisation/<uuid:public_id>/invite/",
        partner_views.organisation_invite,
        name="organisation_invite",
    ),
    path(
        "organisation/people/<uuid:public_id>/remove/",
        partner_views.organisation_person_remove,
        name="organisation_person_remove",
    ),
    path(
        "organisation/invitations/<uuid:public_id>/revoke/",
        partner_views.partner_invitation_revoke,
        name="partner_invitation_revoke",
    ),
    path(
        "invitation/<str:token>/",
        partner_views.partner_invitation_accept,
        name="partner_invitation_accept",
    ),
    # Vie-scolaire events import: upload → mapping → dry run → import (docs/formats/events.md).
    path("events/import/", event_import_views.event_import_upload, name="event_import_upload"),
    path(
        "events/import/<uuid:public_id>/mapping/",
        event_import_views.event_import_mapping,
        name="event_import_mapping",
    ),
    path(
        "events/jobs/<uuid:public_id>/",
        event_import_views.event_import_job,
        name="event_import_job",
    ),
    path(
        "events/jobs/<uuid:public_id>/progress/",
        event_import_views.event_import_job_progress,
        name="event_import_job_progress",
    ),
    path(
        "events/jobs/<uuid:public_id>/import/",
        event_import_views.event_import_run,
        name="event_import_run",
    ),
    path("events/imports/", event_import_views.event_import_history, name="event_import_history"),
    # Detection (repérage): the watchlist, the observation grid, the school's rules
    # (docs/detection/watchlist.md, docs/decisions/0010-watchlist.md).
    path("detection/watchlist/", watchlist_views.watchlist, name="watchlist"),
    path(
        "detection/watchlist/<uuid:public_id>/refer/",
        watchlist_views.watchlist_refer,
        name="watchlist_refer",
    ),
    path(
        "pupils/<uuid:public_id>/observations/new/",
        observation_views.observation_create,
        name="observation_create",
    ),
    path(
        "detection/settings/",
        detection_settings_views.detection_settings,
        name="detection_settings",
    ),
    path("detection/rules/", detection_settings_views.detection_rules, name="detection_rules"),
    path(
        "detection/rules/export/",
        detection_settings_views.detection_rules_export,
        name="detection_rules_export",
    ),
    path(
        "detection/rules/import/",
        detection_settings_views.detection_rules_import,
        name="detection_rules_import",
    ),
    path(
        "detection/rules/reset/",
        detection_settings_views.detection_rules_reset,
        name="detection_rules_reset",
    ),
    path(
        "detection/rules/<slug:code>/",
        detection_settings_views.detection_rule_edit,
        name="detection_rule_edit",
    ),
]

"""The demo's GPDS meeting and Inès's plan (alliance.demo.meetings.seed_meetings)."""

import pytest

from alliance.cases.models import CaseStatus
from alliance.demo.generator import COLLEGE, seed_demo
from alliance.demo.meetings import seed_meetings
from alliance.meetings.models import Attendance, Meeting
from alliance.plans.models import ActionPlan, ActionStatus, GoalResult
from alliance.tenancy.models import School

pytestmark = pytest.mark.django_db


def test_the_demo_plays_stories_3_and_6(django_capture_on_commit_callbacks):
    from django.core import mail

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo(total_pupils=200, seed=7)  # plays the cases, then the meeting and the plan
    college = School.objects.get(uai=COLLEGE.uai)
    meeting = Meeting.objects.get(school=college)
    assert seed_meetings(college=college) is None  # idempotent
    assert meeting.place == "Salle B12"
    assert meeting.starts_at.astimezone().weekday() == 3
    assert meeting.agenda_items.count() == 6
    assert set(meeting.participants.values_list("attendance", flat=True)) == {Attendance.PRESENT}
    assert meeting.participants.count() == 5
    assert len(mail.outbox) == 5
    assert all("Belkacem" not in m.body for m in mail.outbox)
    statuses = set(meeting.agenda_items.values_list("case__status", flat=True))
    assert statuses <= {CaseStatus.EXAMINED, CaseStatus.PLAN_ACTIVE}
    plan = ActionPlan.objects.get(case__pupil__last_name="Belkacem")
    assert plan.case.status == CaseStatus.PLAN_ACTIVE
    by_code = {a.action_type.code: a for a in plan.actions.select_related("action_type")}
    assert by_code["tutoring"].status == ActionStatus.STOPPED
    assert by_code["homework_help"].status == ActionStatus.IN_PROGRESS
    assert by_code["homework_help"].time_frame == "outside_school"
    assert {a.party for a in plan.agreements.all()} == {"family", "pupil"}
    review = plan.reviews.get()
    results = {a.goal.action.action_type.code: a.result for a in review.assessments.all()}
    assert results["tutoring"] == GoalResult.REACHED
    assert results["homework_help"] == GoalResult.PARTLY
    assert review.next_review_on > review.held_on
    # Idempotent.
    assert seed_meetings(college=college) is None
    assert Meeting.objects.filter(school=college).count() == 1

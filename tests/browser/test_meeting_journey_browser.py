"""End to end, in a real browser: the head convenes a GPDS meeting, records it, builds the plan."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from alliance.cases.models import Case, CaseStatus
from alliance.core import clock
from alliance.plans.models import ActionType, PlanAction
from tests import factories
from tests.conftest import adhered
from tests.meetings.builders import open_case

pytestmark = pytest.mark.browser


def test_the_head_convenes_records_the_meeting_and_starts_the_plan(page, live_server):
    from playwright.sync_api import expect

    school = factories.SchoolFactory(name="Collège Jean Moulin")
    factories.CharterVersionFactory(school=school, number=1)
    head = adhered(factories.MembershipFactory(school=school, head=True))
    cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
    tutor = adhered(factories.MembershipFactory(school=school, profession="form_tutor"))
    newcomer = factories.MembershipFactory(school=school)  # has not adhered: cannot be convened
    ines = factories.PupilFactory(school=school, first_name="Inès", last_name="Belkacem")
    case = open_case(head, pupil=ines, team=[tutor], referent=cpe)

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", head.user.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()

    # Convene: an hour ago, so that the meeting can be recorded at once.
    started = (clock.now() - dt.timedelta(hours=1)).astimezone(ZoneInfo("Europe/Paris"))
    page.goto(f"{live_server.url}/meetings/new/")
    expect(page.locator(f"input[name=members][value='{newcomer.public_id}']")).to_have_count(0)
    page.fill("input[name=date]", started.date().isoformat())
    page.fill("input[name=time]", started.strftime("%H:%M"))
    page.fill("input[name=place]", "Salle B12")
    for member in (cpe, tutor):
        page.locator(f"input[name=members][value='{member.public_id}']").check(force=True)
    page.locator(f"input[name=cases][value='{case.public_id}']").check(force=True)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/meetings/[0-9a-f-]{36}/$"))
    meeting_url = page.url
    expect(page.locator("body")).to_contain_text("Belkacem")

    # Attendance: everyone present.
    page.goto(f"{meeting_url}attendance/")
    radios = page.locator("input[type=radio][value=present]")
    for index in range(radios.count()):
        radios.nth(index).check(force=True)
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(meeting_url)

    # The minutes of Inès's situation: the case is examined.
    item = case.agenda_items.get()
    page.goto(f"{meeting_url}items/{item.public_id}/")
    page.fill("textarea[name=decisions]", "Tutorat hebdomadaire avec le professeur principal.")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(meeting_url)
    expect(page.locator("body")).to_contain_text("Tutorat hebdomadaire")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.EXAMINED

    # The plan: start it, add the tutoring.
    page.goto(f"{live_server.url}/cases/{case.public_id}/plan/")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"/plans/[0-9a-f-]{36}/$"))
    plan_url = page.url
    page.goto(f"{plan_url}actions/new/")
    tutoring = ActionType.objects.get(school=school, code="tutoring")
    page.select_option("select[name=action_type]", str(tutoring.public_id))
    page.locator("input[name=time_frame][value=in_school]").check(force=True)
    page.select_option("select[name=owner]", str(tutor.public_id))
    page.fill("input[name=starts_on]", clock.today().isoformat())
    page.fill("input[name=ends_on]", (clock.today() - dt.timedelta(days=1)).isoformat())
    page.select_option("select[name=frequency]", "weekly")
    page.fill("textarea[name=goals]", "Rattraper le français")
    page.locator("main form button[type=submit]").first.click()
    # The end before the start: refused, nothing written.
    expect(page.locator(".fr-error-text").first).to_be_visible()
    assert not PlanAction.objects.exists()
    page.fill("input[name=ends_on]", "")
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(plan_url)
    expect(page.locator("body")).to_contain_text("Rattraper le français")

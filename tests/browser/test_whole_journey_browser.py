"""The whole journey in a real browser (issue 3): referral → family contact → GPDS meeting with
decisions → co-constructed plan → review → closure, each step through the pages, with the
visible state checked in French at every step.

The CPE refers Inès from her page; the head builds the team and names the CPE referent; the
CPE calls the mother; the head convenes the GPDS (an hour ago, so that attendance may be
recorded at once), records attendance and the minutes; the CPE, referent, builds the plan
from the case page, records the agreements and starts it; reviews it; closes the case.
"""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest

from alliance.cases.models import Case, CaseStatus
from alliance.core import clock
from alliance.plans.models import ActionGoal, ActionPlan, ActionType, PlanAction
from tests import factories
from tests.conftest import adhered

pytestmark = pytest.mark.browser

UUID = r"[0-9a-f-]{36}"


def test_from_referral_to_closure_in_the_browser(page, live_server):
    from playwright.sync_api import expect

    school = factories.SchoolFactory(name="Collège Jean Moulin")
    factories.CharterVersionFactory(school=school, number=1)
    head = adhered(factories.MembershipFactory(school=school, head=True))
    cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
    tutor = adhered(factories.MembershipFactory(school=school, profession="form_tutor"))
    ines = factories.PupilFactory(school=school, first_name="Inès", last_name="Belkacem")
    mother = factories.GuardianFactory(pupil=ines, first_name="Samia", last_name="Belkacem")
    today = clock.today()
    pupil_url = f"{live_server.url}/pupils/{ines.public_id}/"

    def log_in(membership):
        page.context.clear_cookies()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", membership.user.email)
        page.fill("input[name=password]", factories.PASSWORD)
        page.locator("form:has(input[name=password]) button[type=submit]").click()
        expect(page).not_to_have_url(re.compile(r"/login/"))

    def submit(form_selector="main form:has(button[type=submit])"):
        page.locator(form_selector).locator("button[type=submit]").first.click()

    status = page.locator("#case-status")

    # 1. The CPE refers Inès from her page. Nothing tells her more afterwards: she is not on
    #    any team yet (need-to-know), so the pupil page shows no situation.
    log_in(cpe)
    page.goto(pupil_url)
    page.locator(f"a[href$='/pupils/{ines.public_id}/refer/']").click()
    page.fill("textarea[name=reason]", "Absences répétées le lundi ; devoirs non rendus.")
    page.locator("input[name=signs][value=absences]").check(force=True)
    submit()
    expect(page).to_have_url(pupil_url)
    expect(page.locator(".fr-alert--success")).to_contain_text("Votre saisine a été enregistrée")
    expect(page.locator("#situation")).to_have_count(0)
    case = Case.objects.get(pupil=ines)
    case_url = f"{live_server.url}/cases/{case.public_id}/"

    # 2. The head finds it from the pupil page, puts the form tutor on the team and names the
    #    CPE referent (which puts her on the team). No examination yet: parents first.
    log_in(head)
    page.goto(pupil_url)
    page.locator("#situation a").click()
    expect(page).to_have_url(case_url)
    expect(status).to_have_text("Signalée")
    expect(page.locator("#parents")).to_contain_text("Famille pas encore jointe")
    page.select_option("form[action$='/team/add/'] select[name=membership]", str(tutor.public_id))
    submit("form[action$='/team/add/']")
    page.select_option("form[action$='/referent/'] select[name=membership]", str(cpe.public_id))
    submit("form[action$='/referent/']")
    expect(page.locator("#team")).to_contain_text("référent")
    expect(page.locator("#steps form[action$='/transition/']")).to_have_count(0)

    # 3. The CPE, now on the team, calls the mother and reaches her: family associated.
    log_in(cpe)
    page.goto(pupil_url)
    page.locator("#situation a").click()
    expect(status).to_have_text("Signalée")
    page.locator("#contacts summary").click()
    page.fill("input[name=contacted_on]", today.isoformat())
    page.select_option("select[name=channel]", "phone")
    page.select_option("select[name=guardian]", str(mother.public_id))
    page.locator("input[name=reached]").check(force=True)
    page.fill("textarea[name=outcome]", "La mère n’était pas au courant ; d’accord pour venir.")
    submit("#contacts form")
    expect(status).to_have_text("Famille associée")
    expect(page.locator("#contacts")).to_contain_text("La mère n’était pas au courant")
    # The referent could mark it examined now; the GPDS will do it through its minutes.
    expect(page.locator("#steps input[name=action][value=examine]")).to_have_count(1)

    # 4. The head convenes the GPDS with Inès on the agenda and her family invited.
    log_in(head)
    started = (clock.now() - dt.timedelta(hours=1)).astimezone(ZoneInfo("Europe/Paris"))
    page.goto(f"{live_server.url}/meetings/new/")
    page.fill("input[name=date]", started.date().isoformat())
    page.fill("input[name=time]", started.strftime("%H:%M"))
    page.fill("input[name=place]", "Salle B12")
    for member in (cpe, tutor):
        page.locator(f"input[name=members][value='{member.public_id}']").check(force=True)
    page.locator(f"input[name=cases][value='{case.public_id}']").check(force=True)
    page.locator(f"input[name=family_invited][value='{case.public_id}']").check(force=True)
    submit()
    expect(page).to_have_url(re.compile(rf"/meetings/{UUID}/$"))
    meeting_url = page.url
    expect(page.locator("main")).to_contain_text("Belkacem")

    #    Attendance: everyone present, and the mother came.
    page.goto(f"{meeting_url}attendance/")
    radios = page.locator("input[type=radio][value=present]")
    for index in range(radios.count()):
        radios.nth(index).check(force=True)
    page.locator("main select[name^=family_]").select_option("yes")
    submit()
    expect(page).to_have_url(meeting_url)

    #    The minutes of Inès's situation, with the decisions: the case is examined.
    item = case.agenda_items.get()
    page.goto(f"{meeting_url}items/{item.public_id}/")
    page.fill("textarea[name=situation_summary]", "Neuf demi-journées d’absence en novembre.")
    page.fill("textarea[name=decisions]", "Tutorat hebdomadaire ; aide aux devoirs au quartier.")
    page.fill("textarea[name=next_steps]", "Rencontre avec la mère et Inès la semaine prochaine.")
    submit()
    expect(page).to_have_url(meeting_url)
    expect(page.locator("main")).to_contain_text("Tutorat hebdomadaire")
    page.goto(case_url)
    expect(status).to_have_text("Examinée par le GPDS")
    expect(page.locator("#contacts")).to_contain_text("Présente à une réunion")

    # 5. The plan, by the CPE (referent), from the case page: no "start the plan" transition
    #    there, but the way to the plan.
    log_in(cpe)
    page.goto(case_url)
    expect(page.locator("#plan")).to_contain_text("Plan d’action")
    expect(page.locator("#steps input[name=action]")).to_have_count(0)
    submit("#steps form[action$='/plan/']")
    expect(page).to_have_url(re.compile(rf"/plans/{UUID}/$"))
    plan_url = page.url
    plan = ActionPlan.objects.get(case=case)
    expect(status).to_have_text("Examinée par le GPDS")

    def add_action(code, time_frame, owner, goal, frequency):
        page.goto(f"{plan_url}actions/new/")
        kind = ActionType.objects.get(school=school, code=code)
        page.select_option("select[name=action_type]", str(kind.public_id))
        page.locator(f"input[name=time_frame][value={time_frame}]").check(force=True)
        page.select_option("select[name=owner]", str(owner.public_id))
        page.fill("input[name=starts_on]", today.isoformat())
        page.select_option("select[name=frequency]", frequency)
        page.fill("textarea[name=goals]", goal)
        submit()
        expect(page).to_have_url(plan_url)
        expect(page.locator("main")).to_contain_text(goal)

    add_action("tutoring", "in_school", tutor, "Rattraper les cours de français", "weekly")
    add_action("homework_help", "outside_school", cpe, "Rendre ses devoirs à temps", "weekly")

    #    The mother's agreement, then Inès's own.
    for party in ("family", "pupil"):
        page.goto(f"{plan_url}agreements/new/")
        page.locator(f"input[name=party][value={party}]").check(force=True)
        if party == "family":
            page.select_option("select[name=guardian]", str(mother.public_id))
        page.fill("input[name=agreed_on]", today.isoformat())
        page.select_option("select[name=channel]", "meeting")
        submit()
        expect(page).to_have_url(plan_url)
    expect(page.locator("main table")).to_contain_text("Samia")
    expect(page.locator("main table")).to_contain_text("L’élève")

    #    Start the plan: the case moves to "plan in progress".
    page.locator(f"a[href$='/plans/{plan.public_id}/activate/']").click()
    page.fill("input[name=next_review_on]", (today + dt.timedelta(weeks=6)).isoformat())
    submit()
    expect(page).to_have_url(plan_url)
    expect(status).to_have_text("Plan d’action en cours")
    page.locator("#case-link").click()
    expect(page).to_have_url(case_url)
    expect(status).to_have_text("Plan d’action en cours")
    expect(page.locator("#plan")).to_contain_text("En cours depuis le")

    # 6. The review, opened from the case page: the goals assessed, the tutoring stops (its goal
    #    is reached), the homework help goes on.
    submit("#steps form[action$='/reviews/new/']")
    expect(page).to_have_url(re.compile(rf"/plans/reviews/{UUID}/$"))
    tutoring, homework = PlanAction.objects.filter(plan=plan).order_by("position")
    goal_of = {g.action_id: g for g in ActionGoal.objects.filter(action__plan=plan)}
    page.locator(f"input[name=goal_{goal_of[tutoring.pk].public_id}][value=reached]").check(
        force=True
    )
    page.locator(f"input[name=goal_{goal_of[homework.pk].public_id}][value=partly]").check(
        force=True
    )
    page.locator(f"input[name=action_{tutoring.public_id}][value=stopped]").check(force=True)
    page.locator(f"input[name=action_{homework.public_id}][value=continued]").check(force=True)
    page.fill("input[name=held_on]", today.isoformat())
    page.fill("textarea[name=summary]", "Une demi-journée d’absence par mois ; moyennes stables.")
    page.fill("input[name=next_review_on]", (today + dt.timedelta(weeks=8)).isoformat())
    page.locator("main form button[type=submit]").last.click()
    expect(page).to_have_url(plan_url)
    expect(status).to_have_text("Plan d’action en cours")
    expect(page.locator("main")).to_contain_text(f"Évaluation du {today:%d/%m/%Y}")
    expect(page.locator("main")).to_contain_text("Atteint")
    expect(page.locator("main")).to_contain_text("Partiellement atteint")
    expect(page.locator("main")).to_contain_text("Arrêtée")
    expect(page.locator("main")).to_contain_text("Poursuivie")

    # 7. Closure: Inès is back on track (raccrochée).
    page.locator("#case-link").click()
    page.locator("#steps details summary").click()
    page.select_option("select[name=outcome]", "back_on_track")
    page.fill("textarea[name=note]", "Assiduité retrouvée depuis janvier.")
    submit("form[action$='/close/']")
    expect(status).to_have_text("Clôturée")
    expect(page.locator("main")).to_contain_text("Retour à une scolarité régulière")
    expect(page.locator("main")).to_contain_text("Cette situation est clôturée")
    expect(page.locator("#steps")).to_have_count(0)

    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED and case.outcome == "back_on_track"

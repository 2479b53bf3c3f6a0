"""The case pages, end to end: the head's coordination, the team's records, and bad input.

Every form with bad input answers with a clear message and writes nothing (snapshot before and
after): dates in the future or before the case, empty or over-long text, forged ids of another
pupil's guardian or another school's member.
"""

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext, override

from alliance.cases import services
from alliance.cases.models import Case, CaseStatus, FamilyContact
from alliance.core import clock
from tests import factories
from tests.cases.conftest import REASON_MARKER
from tests.conftest import adhered, login
from tests.test_access_matrix import snapshot

pytestmark = pytest.mark.django_db


def url(name, case):
    return reverse(name, kwargs={"public_id": case.public_id})


def errors_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- the happy path


def test_refer_then_coordinate_then_close(client, head, cpe, form_tutor, pupil, guardian):
    login(client, cpe)
    page = client.get(reverse("case_refer", kwargs={"public_id": pupil.public_id}))
    assert page.status_code == 200
    codes = [entry.code for entry in page.context["form"].fields["signs"].queryset[:2]]
    response = client.post(
        reverse("case_refer", kwargs={"public_id": pupil.public_id}),
        {"reason": "Absences", "signs": codes, "free_signs": "Fatiguée\n\nIsolée"},
    )
    assert response.status_code == 302
    case = Case.objects.get(pupil=pupil)
    assert case.signs.count() == 4

    login(client, head)
    assert client.get(url("case_detail", case)).status_code == 200
    for name, data in (
        ("case_referent", {"membership": cpe.public_id, "version": case.version}),
        ("case_team_add", {"membership": form_tutor.public_id}),
    ):
        case.refresh_from_db()
        data["version"] = case.version
        assert client.post(url(name, case), data).status_code == 302, name
    case.refresh_from_db()
    assert case.referent == cpe
    assert set(case.team.current().values_list("membership_id", flat=True)) == {
        cpe.pk,
        form_tutor.pk,
    }

    login(client, form_tutor)
    response = client.post(
        url("case_family_contact", case),
        {
            "contacted_on": clock.today().isoformat(),
            "channel": "phone",
            "guardian": guardian.public_id,
            "reached": "on",
            "outcome": "Mère informée",
        },
        headers={"HX-Request": "true"},
    )
    # The status changed: htmx reloads the whole page.
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    case.refresh_from_db()
    assert case.status == CaseStatus.FAMILY_ASSOCIATED

    response = client.post(
        url("case_note", case),
        {"audience": "team", "body": "Rendez-vous fixé"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert "Rendez-vous fixé" in response.content.decode()
    assert "<html" not in response.content.decode()  # the section alone

    login(client, cpe)  # the referent steers
    response = client.post(
        url("case_transition", case), {"action": "examine", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.EXAMINED
    # From here the plan's pages take over (tests/plans); the case page closes the case.
    client.post(url("case_close", case), {"outcome": "back_on_track", "version": case.version})
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED

    login(client, head)
    client.post(url("case_reopen", case), {"reason": "Rechute", "version": case.version})
    case.refresh_from_db()
    assert case.status == CaseStatus.EXAMINED  # examined, and no plan had started


def test_a_contact_that_did_not_change_the_status_answers_with_its_section(client, open_case, cpe):
    login(client, cpe)
    response = client.post(
        url("case_family_contact", open_case),
        {"contacted_on": clock.today().isoformat(), "channel": "letter"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert 'id="contacts"' in response.content.decode()
    assert FamilyContact.objects.count() == 1


def steps_of(page) -> list[tuple[str, str, str]]:
    """The "next step" buttons of a case page: (method, url, label)."""
    return [(s["method"], s["url"], str(s["label"])) for s in page.context["steps"]]


def test_the_page_offers_only_legal_steps(client, open_case, head, cpe, guardian):
    login(client, head)
    page = client.get(url("case_detail", open_case))
    # Parents first does not hold yet: nothing to examine, nothing to convene.
    assert steps_of(page) == []
    assert 'id="steps"' in page.content.decode()  # the section (closing, editing) is still there
    assert REASON_MARKER in page.content.decode()
    services.family_contact_record(
        case=open_case, actor=cpe, contacted_on=clock.today(), channel="phone", reached=True
    )
    page = client.get(url("case_detail", open_case))
    assert [(m, u) for m, u, _ in steps_of(page)] == [
        ("post", url("case_transition", open_case)),
        ("get", reverse("meeting_create")),  # the head convenes the GPDS
    ]
    login(client, cpe)  # the referent steers, but does not convene
    page = client.get(url("case_detail", open_case))
    assert [(m, u) for m, u, _ in steps_of(page)] == [("post", url("case_transition", open_case))]
    assert 'name="action" value="examine"' in page.content.decode()
    for forbidden in ("activate", "review", "resume"):
        assert f'value="{forbidden}"' not in page.content.decode()


def test_an_approved_exception_opens_the_examination(client, open_case, head):
    services.family_exception_approve(case=open_case, actor=head, reason="Famille injoignable")
    login(client, head)
    page = client.get(url("case_detail", open_case))
    assert steps_of(page)[0][:2] == ("post", url("case_transition", open_case))


@pytest.mark.parametrize(
    ("action", "msgid"),
    [
        (
            "activate",
            "An action plan starts from its own page, once it holds at least one action: "
            "open the case's action plan.",
        ),
        (
            "review",
            "A review is opened from the action plan's page, where each goal is then assessed.",
        ),
        ("resume", "The action plan resumes once its review is completed on the plan's page."),
    ],
)
def test_a_forged_plan_step_is_refused_by_the_service_with_a_message(
    client, associated_case, head, action, msgid
):
    services.case_mark_examined(case=associated_case, actor=head)
    login(client, head)
    before = snapshot()
    response = client.post(
        url("case_transition", associated_case),
        {"action": action, "version": associated_case.version},
    )
    assert response.status_code == 400
    with override("fr"):
        assert escape(gettext(msgid)) in errors_of(response)
    assert "fr-alert--error" in errors_of(response)
    assert snapshot() == before
    assert Case.objects.get(pk=associated_case.pk).status == CaseStatus.EXAMINED


def test_an_illegal_transition_is_refused_with_a_message(client, open_case, head):
    login(client, head)
    before = snapshot()
    response = client.post(
        url("case_transition", open_case), {"action": "examine", "version": open_case.version}
    )
    assert response.status_code == 400
    assert "fr-alert--error" in errors_of(response)
    assert "arents" in errors_of(response)  # "Parents first" / "Les parents d’abord"
    assert snapshot() == before


def test_the_exception_flow_through_the_pages(client, open_case, head, cpe):
    login(client, cpe)
    assert (
        client.post(url("case_exception", open_case), {"reason": "Injoignables"}).status_code == 302
    )
    login(client, head)
    assert client.post(url("case_exception", open_case), {"reason": ""}).status_code == 302
    open_case.refresh_from_db()
    assert open_case.family_exception.is_approved
    assert open_case.family_exception.reason == "Injoignables"


# ---------------------------------------------------------------- lost update


def test_a_stale_edit_gets_a_conflict_and_the_first_edit_survives(client, open_case, head, cpe):
    version = open_case.version
    login(client, head)
    assert (
        client.post(
            url("case_edit", open_case), {"reason": "Texte du chef", "version": version}
        ).status_code
        == 302
    )
    login(client, cpe)
    before = snapshot()
    response = client.post(url("case_edit", open_case), {"reason": "Texte CPE", "version": version})
    assert response.status_code == 200
    assert "Reload the page" in errors_of(response) or "Rechargez" in errors_of(response)
    assert snapshot() == before
    assert Case.objects.get(pk=open_case.pk).reason == "Texte du chef"


# ---------------------------------------------------------------- bad input


def _contact(**overrides):
    data = {
        "contacted_on": clock.today().isoformat(),
        "channel": "phone",
        "reached": "on",
        "outcome": "ok",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def forged(other_school, pupil):
    other_pupil_guardian = factories.GuardianFactory(
        pupil=factories.PupilFactory(school=pupil.school)
    )
    stranger = adhered(factories.MembershipFactory(school=other_school, cpe=True))
    return {"guardian": other_pupil_guardian, "stranger": stranger}


@pytest.mark.parametrize(
    "case_name, overrides",
    [
        ("future date", {"contacted_on": (dt.date.today() + dt.timedelta(days=3)).isoformat()}),
        ("before the case", {"contacted_on": "2020-01-01"}),
        ("not a date", {"contacted_on": "31/02/2026"}),
        ("no date", {"contacted_on": None}),
        ("no channel", {"channel": None}),
        ("bad channel", {"channel": "pigeon"}),
        ("too long", {"outcome": "x" * 2001}),
        ("forged guardian", {"guardian": "GUARDIAN"}),
        ("forged member", {"made_by": "STRANGER"}),
        ("not a uuid", {"made_by": "12"}),
    ],
)
def test_bad_contacts_write_nothing(client, open_case, cpe, forged, case_name, overrides):
    if overrides.get("guardian") == "GUARDIAN":
        overrides["guardian"] = str(forged["guardian"].public_id)
    if overrides.get("made_by") == "STRANGER":
        overrides["made_by"] = str(forged["stranger"].public_id)
    login(client, cpe)
    before = snapshot()
    response = client.post(url("case_family_contact", open_case), _contact(**overrides))
    assert response.status_code == 400, case_name
    assert "fr-error-text" in errors_of(response) or "fr-alert--error" in errors_of(response)
    assert snapshot() == before, case_name


@pytest.mark.parametrize(
    "data",
    [
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 2001},
        {"reason": "ok", "signs": ["not-a-sign"]},
        {"reason": "ok", "free_signs": "\n".join(f"signe {i}" for i in range(11))},
        {"reason": "ok", "free_signs": "y" * 201},
    ],
)
def test_bad_referrals_write_nothing(client, cpe, pupil, data):
    login(client, cpe)
    before = snapshot()
    response = client.post(reverse("case_refer", kwargs={"public_id": pupil.public_id}), data)
    assert response.status_code == 200
    assert "fr-error-text" in errors_of(response) or "fr-message--error" in errors_of(response)
    assert snapshot() == before
    assert not Case.objects.exists()


def test_a_sign_of_another_school_is_not_a_choice(client, cpe, pupil, other_school):
    from alliance.cases.services import sign_catalogue_ensure

    foreign = sign_catalogue_ensure(school=other_school)[0]
    foreign.code = "only-elsewhere"
    foreign.save()
    login(client, cpe)
    before = snapshot()
    response = client.post(
        reverse("case_refer", kwargs={"public_id": pupil.public_id}),
        {"reason": "ok", "signs": ["only-elsewhere"]},
    )
    assert response.status_code == 200 and snapshot() == before


def test_bad_coordination_posts_write_nothing(client, open_case, head, forged, school):
    not_adhered = factories.MembershipFactory(school=school)
    login(client, head)
    attempts = [
        ("case_team_add", {"membership": forged["stranger"].public_id}),
        ("case_team_add", {"membership": not_adhered.public_id}),
        ("case_team_add", {"membership": uuid.uuid4()}),
        ("case_team_add", {}),
        ("case_team_remove", {"membership": forged["stranger"].public_id}),
        ("case_referent", {"membership": forged["stranger"].public_id, "version": 1}),
        ("case_close", {"outcome": "", "version": open_case.version}),
        ("case_close", {"outcome": "vanished", "version": open_case.version}),
        ("case_close", {"outcome": "other", "note": "x" * 2001, "version": open_case.version}),
        ("case_transition", {"action": "teleport", "version": open_case.version}),
        ("case_note", {"audience": "team", "body": ""}),
        ("case_note", {"audience": "team", "body": "x" * 5001}),
        ("case_note", {"audience": "everyone", "body": "x"}),
        ("case_exception", {"reason": ""}),
        ("case_exception", {"reason": "x" * 2001}),
    ]
    for name, data in attempts:
        before = snapshot()
        response = client.post(url(name, open_case), data)
        assert response.status_code == 400, (name, data)
        assert snapshot() == before, (name, data)


def test_reopen_needs_a_reason(client, open_case, head):
    from alliance.cases import services

    services.case_close(case=open_case, actor=head, outcome="moved_away")
    login(client, head)
    before = snapshot()
    response = client.post(
        url("case_reopen", open_case), {"reason": "", "version": open_case.version}
    )
    assert response.status_code == 400 and snapshot() == before


def test_a_closed_case_page_offers_no_write(client, open_case, head, cpe):
    from alliance.cases import services

    services.case_close(case=open_case, actor=head, outcome="moved_away")
    login(client, cpe)
    page = client.get(url("case_detail", open_case))
    for key in ("contact_form", "note_form", "close_form", "team_add_form", "reopen_form"):
        assert key not in page.context, key
    before = snapshot()
    response = client.post(url("case_note", open_case), {"audience": "team", "body": "x"})
    assert response.status_code == 400 and snapshot() == before


def test_htmx_gets_its_section_back_with_the_errors(client, open_case, cpe):
    login(client, cpe)
    before = snapshot()
    response = client.post(
        url("case_note", open_case),
        {"audience": "team", "body": ""},
        headers={"HX-Request": "true"},
    )
    # htmx swaps only 2xx answers: the form comes back, with its error, in a 200.
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="notes"' in body and "<html" not in body and "fr-error-text" in body
    assert snapshot() == before


def test_the_list_filters_by_status(client, associated_case, head, cpe, school):
    from alliance.cases import services

    other = factories.PupilFactory(school=school)
    closed = services.case_refer(actor=cpe, pupil=other, reason="Déménagement annoncé").case
    services.case_close(case=closed, actor=head, outcome="moved_away")
    login(client, head)
    listed = {
        status: {
            c.pk for c in client.get(reverse("case_list"), {"status": status}).context["cases"]
        }
        for status in ("open", "closed", "all", "family_associated", "bogus")
    }
    assert listed["open"] == {associated_case.pk} == listed["family_associated"]
    assert listed["closed"] == {closed.pk}
    assert listed["all"] == {associated_case.pk, closed.pk}
    assert listed["bogus"] == listed["open"]


def test_a_case_of_another_school_is_the_same_404_as_a_missing_one(client, open_case, other_school):
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    login(client, outsider)
    for name in ("case_detail", "case_edit", "case_close", "case_note"):
        theirs = client.get(url(name, open_case))
        missing = client.get(reverse(name, kwargs={"public_id": uuid.uuid4()}))
        assert theirs.status_code == missing.status_code == 404, name
        assert theirs.content == missing.content, name


@pytest.mark.parametrize(
    ("name", "actor", "data"),
    [
        ("case_edit", "head", {"reason": "", "version": "VERSION"}),
        ("case_edit", "head", {"reason": "   ", "version": "VERSION"}),
        ("case_edit", "head", {"reason": "x" * 2001, "version": "VERSION"}),
        ("case_edit", "head", {"reason": "Texte", "version": "x"}),
        ("case_edit", "cpe", {"reason": "Texte", "version": "0"}),  # stale
        ("case_transition", "head", {"action": "examine", "version": "x"}),
        ("case_transition", "head", {"action": "examine", "version": "0"}),  # stale
        ("case_referent", "head", {"membership": "CPE", "version": "0"}),  # stale
        ("case_referent", "head", {"membership": "", "version": "VERSION"}),
        ("case_close", "cpe", {"outcome": "moved_away", "version": "0"}),  # stale
    ],
)
def test_more_bad_case_forms_write_nothing(client, associated_case, head, cpe, name, actor, data):
    case = associated_case
    data = {
        key: {"VERSION": str(case.version), "CPE": str(cpe.public_id)}.get(value, value)
        for key, value in data.items()
    }
    login(client, {"head": head, "cpe": cpe}[actor])
    before = snapshot()
    response = client.post(url(name, case), data)
    assert response.status_code in {200, 400}, (name, data)
    body = errors_of(response)
    assert "fr-error-text" in body or "fr-alert--error" in body, (name, data)
    assert snapshot() == before, (name, data)


@pytest.mark.parametrize("reason", ["", "  ", "x" * 2001])
def test_a_bad_exception_request_writes_nothing(client, open_case, cpe, reason):
    login(client, cpe)  # a team member asks; the head decides
    before = snapshot()
    response = client.post(url("case_exception", open_case), {"reason": reason})
    assert response.status_code == 400 and "fr-error-text" in errors_of(response)
    assert snapshot() == before


def test_reopening_with_an_over_long_reason_writes_nothing(client, open_case, head):
    services.case_close(case=open_case, actor=head, outcome="moved_away")
    login(client, head)
    before = snapshot()
    response = client.post(
        url("case_reopen", open_case), {"reason": "x" * 2001, "version": open_case.version}
    )
    assert response.status_code == 400 and "fr-error-text" in errors_of(response)
    assert snapshot() == before

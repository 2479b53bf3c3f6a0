"""Need-to-know: a case leaves no trace for anyone who is not on it (charter art. 3b).

For every persona outside the case, no page (pupil page, pupil list, search, home, cases list,
referral form) holds the case's reason or its public id, and the pupil page is the same page as
for a pupil without any case. A referral of a pupil whose case one cannot see gets the very
same answer as a referral that opens a case.
"""

import re

import pytest
from django.urls import reverse

from alliance.cases.models import Case, CaseReferral
from tests import factories
from tests.conftest import login
from tests.test_access_matrix import ALL_PERSONAS, CASE_MARKER, CASE_READERS, NURSE_SECRET

OUTSIDE_THE_CASE = [p for p in ALL_PERSONAS if p not in CASE_READERS]


def _pages(world):
    pupil = world.pupil
    return [
        reverse("home"),
        reverse("pupil_list"),
        reverse("pupil_list") + f"?q={pupil.last_name}",
        reverse("pupil_list") + "?q=ZXQ",
        reverse("pupil_detail", kwargs={"public_id": pupil.public_id}),
        reverse("case_list"),
        reverse("case_list") + "?status=all",
        reverse("case_refer", kwargs={"public_id": pupil.public_id}),
    ]


@pytest.mark.parametrize("persona", OUTSIDE_THE_CASE)
def test_no_page_shows_a_trace_of_the_case(client, world, persona):
    membership = world.members[persona]
    if membership is not None:
        login(client, membership)
    for url in _pages(world):
        body = client.get(url, follow=True).content.decode()
        assert CASE_MARKER not in body, (persona, url)
        assert str(world.case.public_id) not in body, (persona, url)
        assert NURSE_SECRET not in body, (persona, url)
        assert 'id="situation"' not in body, (persona, url)


@pytest.mark.parametrize("persona", sorted(CASE_READERS))
def test_those_on_the_case_find_it_from_the_pupil_page(client, world, persona):
    login(client, world.members[persona])
    body = client.get(
        reverse("pupil_detail", kwargs={"public_id": world.pupil.public_id})
    ).content.decode()
    assert str(world.case.public_id) in body
    assert 'id="situation"' in body


def _normalised(body: str, pupil) -> str:
    body = body.replace(str(pupil.public_id), "PUPIL").replace(pupil.last_name, "NAME")
    body = body.replace(pupil.first_name, "FIRST")
    return re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+', r"\1TOKEN", body)


@pytest.mark.parametrize("persona", ["teacher", "psyen", "dropout_referent", "doctor"])
def test_the_pupil_page_is_the_same_as_for_a_pupil_without_a_case(client, world, persona):
    twin = factories.PupilFactory(
        school=world.school,
        last_name="Jumeau",
        first_name="Inès",
        division=world.pupil.division,
        birth_date=world.pupil.birth_date,
    )
    factories.GuardianFactory(pupil=twin)
    login(client, world.members[persona])
    with_case = client.get(reverse("pupil_detail", kwargs={"public_id": world.pupil.public_id}))
    without = client.get(reverse("pupil_detail", kwargs={"public_id": twin.public_id}))
    assert _normalised(with_case.content.decode(), world.pupil) == _normalised(
        without.content.decode(), twin
    )


def test_a_referral_on_a_hidden_case_answers_like_a_new_case(client, world):
    """The teacher refers Inès (who has a case he cannot see) and her twin (who has none)."""
    twin = factories.PupilFactory(
        school=world.school,
        last_name="Jumeau",
        first_name="Inès",
        division=world.pupil.division,
        birth_date=world.pupil.birth_date,
    )
    factories.GuardianFactory(pupil=twin)
    teacher = world.members["teacher"]
    login(client, teacher)
    answers = []
    for pupil in (world.pupil, twin):
        response = client.post(
            reverse("case_refer", kwargs={"public_id": pupil.public_id}),
            {"reason": "Dort en classe"},
            follow=True,
        )
        answers.append(_normalised(response.content.decode(), pupil))
        assert response.redirect_chain == [
            (reverse("pupil_detail", kwargs={"public_id": pupil.public_id}), 302)
        ]
    assert answers[0] == answers[1]
    # Inès's referral joined her open case; the twin's opened one. The teacher sees neither.
    assert Case.objects.filter(pupil=world.pupil).count() == 1
    assert CaseReferral.objects.get(pupil=world.pupil, referred_by=teacher).case == world.case
    assert Case.objects.filter(pupil=twin).count() == 1
    listing = client.get(reverse("case_list") + "?status=all").content.decode()
    assert str(world.case.public_id) not in listing
    assert "Dort en classe" in listing  # his own words, in "my referrals"


def test_the_head_and_the_team_see_the_new_signal(client, world):
    login(client, world.members["teacher"])
    client.post(
        reverse("case_refer", kwargs={"public_id": world.pupil.public_id}),
        {"reason": "ZXQ-SIGNAL-PROF"},
    )
    for persona in ("head", "cpe"):
        login(client, world.members[persona])
        page = client.get(reverse("case_detail", kwargs={"public_id": world.case.public_id}))
        assert "ZXQ-SIGNAL-PROF" in page.content.decode(), persona


def test_the_home_count_counts_only_the_cases_one_follows(client, world):
    for persona, expected in (("head", 1), ("cpe", 1), ("teacher", 0)):
        login(client, world.members[persona])
        response = client.get(reverse("home"))
        assert response.context["case_count"] == expected, persona

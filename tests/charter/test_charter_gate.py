"""The charter gate (art. 3 and 5): nothing about any pupil before adhering to the current version."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from alliance.charter import services
from alliance.charter.models import CharterAdhesion, CharterVersion
from alliance.charter.selectors import charter_current, has_adhered_to_current
from alliance.pupils.selectors import pupils_visible_to
from tests import factories
from tests.conftest import adhered, login

PUPIL_BEARING = [
    "pupil_list",
    "pupil_detail",
    "pupil_edit",
    "guardian_create",
    "pupil_access_log",
    "access_log",
    "pupil_create",
    "roster_import",
]


def _url(name, pupil):
    if name in {"pupil_detail", "pupil_edit", "guardian_create", "pupil_access_log"}:
        return reverse(name, kwargs={"public_id": pupil.public_id})
    return reverse(name)


@pytest.mark.parametrize("name", PUPIL_BEARING)
def test_a_member_who_has_not_adhered_sees_only_the_charter(client, school, charter, pupil, name):
    head = factories.MembershipFactory(
        school=school, head=True
    )  # the most powerful role, not adhered
    login(client, head)
    response = client.get(_url(name, pupil))
    assert response.status_code == 302
    assert response["Location"] == reverse("charter")
    response = client.get(_url(name, pupil), follow=True)
    body = response.content.decode()
    assert pupil.last_name not in body
    assert charter.body in body
    assert 'id="adhere"' in body


def test_home_page_of_a_non_adherent_redirects_to_the_charter(client, school, charter):
    teacher = factories.MembershipFactory(school=school)
    login(client, teacher)
    assert client.get("/")["Location"] == reverse("charter")


def test_visibility_itself_refuses_without_adhesion(school, charter, pupil):
    teacher = factories.MembershipFactory(school=school)
    assert not pupils_visible_to(teacher).exists()
    adhered(teacher)
    assert list(pupils_visible_to(teacher)) == [pupil]


def test_adhering_records_who_which_version_and_when(client, school, charter, pupil):
    teacher = factories.MembershipFactory(school=school)
    login(client, teacher)
    response = client.post(reverse("charter_adhere"), {"version": str(charter.public_id)})
    assert response.status_code == 302
    adhesion = CharterAdhesion.objects.get(membership=teacher)
    assert adhesion.user == teacher.user
    assert adhesion.charter_version == charter
    assert adhesion.adhered_at is not None
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id})).status_code
        == 200
    )


def test_adhering_to_a_stale_version_is_refused(client, school, charter, head):
    new = services.charter_publish(
        school=school, title="Charte v2", body="Nouveau texte", actor=head
    )
    teacher = factories.MembershipFactory(school=school)
    login(client, teacher)
    client.post(reverse("charter_adhere"), {"version": str(charter.public_id)})
    assert not CharterAdhesion.objects.filter(membership=teacher).exists()
    with pytest.raises(ValidationError):
        services.charter_adhere(membership=teacher, version=charter)
    services.charter_adhere(membership=teacher, version=new)
    assert has_adhered_to_current(teacher)


def test_a_new_version_requires_everyone_to_adhere_again(
    client, school, charter, head, teacher, pupil
):
    login(client, teacher)
    assert client.get(reverse("pupil_list")).status_code == 200
    login(client, head)
    response = client.post(
        reverse("charter_publish"), {"title": "Charte v2", "body": "Texte révisé en janvier."}
    )
    assert response.status_code == 302
    assert charter_current(school).number == 2
    # The head too must adhere again.
    assert client.get(reverse("pupil_list"))["Location"] == reverse("charter")
    login(client, teacher)
    response = client.get(reverse("pupil_list"), follow=True)
    assert "Texte révisé en janvier." in response.content.decode()
    assert pupil.last_name not in response.content.decode()
    client.post(reverse("charter_adhere"), {"version": str(charter_current(school).public_id)})
    assert pupil.last_name in client.get(reverse("pupil_list")).content.decode()


def test_only_the_head_publishes(school, charter, teacher):
    with pytest.raises(PermissionDenied):
        services.charter_publish(school=school, title="x", body="y", actor=teacher)
    assert CharterVersion.objects.filter(school=school).count() == 1


def test_publishing_the_same_text_again_is_refused(school, charter, head):
    with pytest.raises(ValidationError):
        services.charter_publish(school=school, title=charter.title, body=charter.body, actor=head)


def test_default_charter_follows_the_five_articles():
    title, body = services.default_charter_text()
    assert title
    for article in ("1.", "2.", "3.", "4.", "5."):
        assert f"\n{article} " in f"\n{body}"
    assert "conseil d'administration" in body
    assert "document officiel" in body


def test_board_presentation_is_recorded_and_shown(client, school, charter, head):
    login(client, head)
    response = client.post(
        reverse("charter_board"), {"presented_on": "2026-09-24", "minutes_reference": "CA 2026-03"}
    )
    assert response.status_code == 302
    presentation = charter.board_presentations.get()
    assert presentation.presented_on == dt.date(2026, 9, 24)
    assert presentation.recorded_by == head
    page = client.get(reverse("charter")).content.decode()
    assert "CA 2026-03" in page


def test_board_presentation_in_the_future_is_refused(school, charter, head):
    with pytest.raises(ValidationError):
        services.board_presentation_record(
            version=charter, presented_on=dt.date(2999, 1, 1), minutes_reference="CA", actor=head
        )
    assert not charter.board_presentations.exists()


def test_a_school_without_a_charter_shows_no_pupil(client, school, pupil):
    head = factories.MembershipFactory(school=school, head=True)
    login(client, head)
    assert not pupils_visible_to(head).exists()
    page = client.get(reverse("charter")).content.decode()
    assert reverse("charter_publish") in page
    response = client.post(reverse("charter_publish"), {"title": "Charte", "body": "Texte"})
    assert response.status_code == 302
    services.charter_adhere(membership=head, version=charter_current(school))
    assert list(pupils_visible_to(head)) == [pupil]


def test_the_head_sees_who_has_not_adhered(client, school, charter, head, teacher):
    newcomer = factories.MembershipFactory(school=school)
    login(client, head)
    page = client.get(reverse("charter")).content.decode()
    assert newcomer.user.last_name in page
    assert teacher.user.last_name not in page.split('id="not-adhered"')[-1].split("</details>")[0]

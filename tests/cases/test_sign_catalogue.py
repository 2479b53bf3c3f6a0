"""The head's grid of signs: add, retire, offer again; the French defaults stay.

Bad input (empty, over-long, a label already in the grid, an unknown or foreign sign) gets a
clear message or a 404, and nothing is written.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alliance.cases import services
from alliance.cases.models import Case, CaseSign, SignCatalogueEntry
from tests import factories
from tests.conftest import adhered, login

pytestmark = pytest.mark.django_db

URL = "/cases/signs/"


def grid(school):
    return list(
        SignCatalogueEntry.objects.filter(school=school)
        .order_by("position", "pk")
        .values_list("code", "label", "is_active")
    )


def offered_in_referrals(client, pupil) -> set[str]:
    page = client.get(reverse("case_refer", kwargs={"public_id": pupil.public_id}))
    return {entry.code for entry in page.context["form"].fields["signs"].queryset}


def test_the_url():
    assert reverse("sign_catalogue") == URL


def test_the_head_adds_retires_and_offers_again(client, head, cpe, pupil, school):
    login(client, head)
    page = client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    for _code, label in services.DEFAULT_SIGNS:  # the French defaults, as the school's own rows
        assert label in body
    response = client.post(URL, {"do": "add", "label": "  Harcèlement subi  "})
    assert response.status_code == 302
    added = SignCatalogueEntry.objects.get(school=school, label="Harcèlement subi")
    assert added.code == "harcelement-subi" and added.is_active
    assert added.position > max(
        p
        for p in SignCatalogueEntry.objects.exclude(pk=added.pk)
        .filter(school=school)
        .values_list("position", flat=True)
    )
    assert len(grid(school)) == len(services.DEFAULT_SIGNS) + 1

    login(client, cpe)
    assert {"harcelement-subi", "absences"} <= offered_in_referrals(client, pupil)
    client.post(
        reverse("case_refer", kwargs={"public_id": pupil.public_id}),
        {"reason": "Absences", "signs": ["absences", "harcelement-subi"]},
    )
    case = Case.objects.get(pupil=pupil)
    assert case.signs.count() == 2

    login(client, head)
    assert client.post(URL, {"do": "retire", "sign": "absences"}).status_code == 302
    assert not SignCatalogueEntry.objects.get(school=school, code="absences").is_active
    login(client, cpe)
    assert "absences" not in offered_in_referrals(client, pupil)
    # A referral that recorded it keeps it; the case page still shows it.
    assert CaseSign.objects.filter(case=case, catalogue_entry__code="absences").exists()
    login(client, head)
    case_page = client.get(reverse("case_detail", kwargs={"public_id": case.public_id}))
    assert "Absences répétées" in case_page.content.decode()
    assert client.post(URL, {"do": "offer", "sign": "absences"}).status_code == 302
    login(client, cpe)
    assert "absences" in offered_in_referrals(client, pupil)


def test_a_retired_sign_is_refused_in_a_referral(client, head, cpe, pupil):
    login(client, head)
    client.get(URL)
    client.post(URL, {"do": "retire", "sign": "fatigue"})
    login(client, cpe)
    response = client.post(
        reverse("case_refer", kwargs={"public_id": pupil.public_id}),
        {"reason": "Fatiguée", "signs": ["fatigue"]},
    )
    assert response.status_code == 200 and "fr-error-text" in response.content.decode()
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"do": "add", "label": ""},
        {"do": "add", "label": "   "},
        {"do": "add", "label": "x" * 201},
        {"do": "add", "label": "ABSENCES RÉPÉTÉES"},  # a default, whatever the case
        {"do": "add", "label": "absences répétées"},
        {"do": "teleport", "label": "x"},
        {},
    ],
)
def test_bad_input_gets_a_message_and_writes_nothing(client, head, school, data):
    login(client, head)
    client.get(URL)  # the defaults are seeded on the first visit
    before = grid(school)
    response = client.post(URL, data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "fr-error-text" in body or "fr-alert--error" in body
    assert grid(school) == before


def test_a_label_already_retired_is_offered_again_rather_than_added(client, head, school):
    login(client, head)
    client.get(URL)
    client.post(URL, {"do": "retire", "sign": "isolation"})
    before = grid(school)
    response = client.post(URL, {"do": "add", "label": "Isolement, repli sur soi"})
    assert response.status_code == 400 and grid(school) == before


def test_two_labels_with_the_same_slug_get_two_codes(head, school):
    first = services.sign_catalogue_add(actor=head, label="Retards répétés le matin")
    second = services.sign_catalogue_add(actor=head, label="Retards repetes le matin !")
    assert first.code == "retards-repetes-le-matin"
    assert second.code == "retards-repetes-le-matin-2"
    third = services.sign_catalogue_add(actor=head, label="???")
    assert third.code == "sign"


def test_unknown_or_foreign_signs_are_a_404_and_change_nothing(client, head, school, other_school):
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    login(client, outsider)
    client.get(URL)
    foreign = services.sign_catalogue_add(actor=outsider, label="Signe d’ailleurs")
    login(client, head)
    client.get(URL)
    before = grid(school), grid(other_school)
    for data in (
        {"do": "retire", "sign": foreign.code},  # exists in the other school only
        {"do": "retire", "sign": "no-such-sign"},
        {"do": "offer", "sign": ""},
    ):
        assert client.post(URL, data).status_code == 404, data
    assert (grid(school), grid(other_school)) == before
    # The service refuses a sign of another school, whoever calls it.
    with pytest.raises(PermissionDenied):
        services.sign_catalogue_set_active(actor=head, entry=foreign, is_active=False)
    assert (grid(school), grid(other_school)) == before


def test_only_the_head_manages_the_grid(cpe, school):
    with pytest.raises(PermissionDenied):
        services.sign_catalogue_add(actor=cpe, label="Intrusion")
    assert not SignCatalogueEntry.objects.filter(label="Intrusion").exists()

"""SIRET numbers: 14 digits passing the Luhn check (La Poste's establishments excepted)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from alliance.partners.models import PartnerOrganisation
from alliance.partners.siret import normalise_siret, validate_siret

VALID = ["73282932000074", "55210055400013", "35600000049837"]  # the last: La Poste


@pytest.mark.parametrize("value", VALID)
def test_a_valid_siret_passes(value):
    validate_siret(value)


def test_an_empty_siret_is_allowed_it_is_optional():
    validate_siret("")


@pytest.mark.parametrize("value", ["7328293200007", "732829320000745", "7328293200007A"])
def test_a_siret_without_14_digits_is_refused_with_a_clear_message(value):
    with pytest.raises(ValidationError) as caught:
        validate_siret(value)
    assert caught.value.code == "siret_format"
    assert value in caught.value.messages[0]
    assert "14" in caught.value.messages[0]


@pytest.mark.parametrize("value", ["73282932000075", "37282932000074", "73828932000074"])
def test_a_wrong_digit_or_a_swap_fails_the_check(value):
    with pytest.raises(ValidationError) as caught:
        validate_siret(value)
    assert caught.value.code == "siret_checksum"
    assert value in caught.value.messages[0]


def test_spaces_and_dots_typed_in_a_siret_are_dropped():
    assert normalise_siret("732 829 320 00074") == "73282932000074"
    assert normalise_siret("732.829.320.00074") == "73282932000074"


def test_a_siret_belongs_to_one_organisation_only(db):
    PartnerOrganisation.objects.create(name="A", kind="association", siret="73282932000074")
    PartnerOrganisation.objects.create(name="B", kind="association", siret="")
    PartnerOrganisation.objects.create(name="C", kind="association", siret="")  # empty: no clash
    with pytest.raises(IntegrityError), transaction.atomic():
        PartnerOrganisation.objects.create(name="D", kind="club", siret="73282932000074")


def test_the_model_refuses_a_bad_siret_on_full_clean(db):
    organisation = PartnerOrganisation(name="A", kind="association", siret="73282932000075")
    with pytest.raises(ValidationError) as caught:
        organisation.full_clean()
    assert "siret" in caught.value.message_dict

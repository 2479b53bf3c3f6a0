"""Finding a row's pupil by name: one key for a name however an export spells it."""

import datetime as dt
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alliance.demo.names import GROUPS
from alliance.detection.importer import events_import
from alliance.detection.matching import PupilDirectory, PupilIds, name_key
from alliance.detection.models import Absence
from tests import factories
from tests.detection.conftest import csv_bytes


@pytest.mark.parametrize(
    ("written", "recorded"),
    [
        ("YILMAZ", "Yılmaz"),  # Turkish dotless ı
        ("AYDIN", "Aydın"),
        ("ILKER", "İlker"),  # Turkish dotted İ
        ("STRAUSS", "Strauß"),
        ("COEUR", "Cœur"),
        ("LAETITIA", "Lætitia"),
        ("NDIAYE", "N’Diaye"),
        ("N'DIAYE", "N’Diaye"),
        ("N DIAYE", "N'Diaye"),
        ("JEAN PAUL", "Jean-Paul"),
        ("LE PAIN PERDU", "Le Pain--Perdu"),
        ("LEGALL", "Le Gall"),
        ("CELIK", "Çelik"),
        ("SAHIN", "Şahin"),
        ("DOGAN", "Doğan"),
        ("OYVIND", "Øyvind"),
        ("LUKASZ", "Łukasz"),
        ("NGUYEN", "Nguyễn"),
        ("E\u0301LISE", "Élise"),  # decomposed accent
    ],
)
def test_a_name_and_its_export_spelling_have_one_key(written, recorded):
    assert name_key(written) == name_key(recorded)


def test_different_names_keep_different_keys():
    assert name_key("Martin Léa") != name_key("Martin Léo")
    assert name_key("Ahmed") != name_key("Ahmet")
    assert name_key("Δημήτρης") == name_key("ΔΗΜΗΤΡΗΣ") != ""  # other scripts keep their letters


def _strip_accents(value: str) -> str:
    decomposed = unicodedata.normalize("NFD", value)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


DEMO_NAMES = sorted(
    {name for group in GROUPS for name in (*group.last_names, *group.girls, *group.boys)}
)
LETTERS = "abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçñåøıİßœæłšşğžčćńő"
name_part = st.one_of(
    st.sampled_from(DEMO_NAMES),
    st.text(alphabet=LETTERS + LETTERS.upper(), min_size=1, max_size=12),
)


@given(
    parts=st.lists(name_part, min_size=1, max_size=3),
    joiner=st.sampled_from([" ", "-", "--", "'", "’", "  "]),
)
def test_upper_case_accentless_and_hyphenated_spellings_match(parts, joiner):
    name = joiner.join(parts)
    key = name_key(name)
    assert key  # a name never vanishes
    assert name_key(name.upper()) == key
    assert name_key(name.lower()) == key
    assert name_key(_strip_accents(name)) == key
    assert name_key(_strip_accents(name).upper()) == key
    assert name_key(" ".join(parts)) == key
    assert name_key("-".join(parts)) == key
    assert name_key(unicodedata.normalize("NFD", name)) == key


@pytest.mark.django_db
def test_the_directory_finds_a_pupil_written_in_capitals_without_accents(school):
    pupil = factories.PupilFactory(school=school, last_name="Yılmaz", first_name="Ebru Nur")
    factories.PupilFactory(school=school, last_name="Strauß", first_name="Jean-Paul")
    directory = PupilDirectory(school)
    found = directory.resolve(PupilIds(pupil_name="YILMAZ Ebru-Nur"))
    assert found.pupil is not None and found.pupil.pk == pupil.pk
    assert directory.resolve(PupilIds(last_name="STRAUSS", first_name="JEAN PAUL")).pupil
    assert directory.resolve(PupilIds(pupil_name="Ebru Nur Yilmaz")).pupil == found.pupil
    assert directory.resolve(PupilIds(pupil_name="YILMAZ Ebru")).pupil is None


@pytest.mark.django_db
def test_an_export_in_capitals_imports_the_events_of_turkish_and_german_names(cpe, school):
    yilmaz = factories.PupilFactory(
        school=school, last_name="Yılmaz", first_name="Elif", birth_date=dt.date(2012, 1, 2)
    )
    strauss = factories.PupilFactory(school=school, last_name="Strauß", first_name="Jean-Paul")
    data = csv_bytes(
        [
            ["Élève", "Date début", "Date fin"],
            ["YILMAZ Elif", "14/09/2026", "14/09/2026"],
            ["STRAUSS JEAN PAUL", "15/09/2026", "15/09/2026"],
        ]
    )
    report = events_import(
        actor=cpe,
        kind="absences",
        data=data,
        filename="a.csv",
        mapping={"pupil_name": 0, "start": 1, "end": 2},
    )
    assert (report.new, report.error_rows) == (2, 0)
    assert set(Absence.objects.values_list("pupil_id", flat=True)) == {yilmaz.pk, strauss.pk}

"""Fixtures of the events import: the pupils the sample files name, and the samples themselves."""

import datetime as dt
from pathlib import Path

import pytest
from django.utils import translation

from tests import factories

SAMPLES = Path(__file__).resolve().parents[2] / "docs" / "formats" / "samples"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def csv_bytes(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    return ("\r\n".join(delimiter.join(row) for row in rows) + "\r\n").encode(encoding)


@pytest.fixture
def sample_pupils(school):
    """The four pupils of docs/formats/samples, in their divisions of 2026-2027."""
    year = factories.SchoolYearFactory(school=school)
    fourth = factories.DivisionFactory(school_year=year, code="4E B")
    third = factories.DivisionFactory(school_year=year, code="3E A")
    return {
        "ines": factories.PupilFactory(
            school=school,
            last_name="Belkacem",
            first_name="Inès",
            birth_date=dt.date(2012, 3, 14),
            division=fourth,
            national_id="1234567890A",
            school_number="4121",
        ),
        "lea": factories.PupilFactory(
            school=school,
            last_name="Martin",
            first_name="Léa",
            birth_date=dt.date(2012, 7, 2),
            division=fourth,
            school_number="4122",
        ),
        "alexia": factories.PupilFactory(
            school=school,
            last_name="Le Pain--Perdu",
            first_name="Alexia",
            birth_date=dt.date(2011, 11, 21),
            division=third,
            school_number="4123",
        ),
        "moussa": factories.PupilFactory(
            school=school,
            last_name="N'Diaye",
            first_name="Moussa",
            birth_date=dt.date(2011, 1, 5),
            division=third,
            school_number="4124",
        ),
    }


@pytest.fixture(autouse=True)
def _in_english(settings):
    """Messages are checked in English: the French wording belongs to the translators."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

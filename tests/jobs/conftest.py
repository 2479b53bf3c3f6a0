import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _in_english(settings):
    """Messages are checked in English: the French wording belongs to the translators."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

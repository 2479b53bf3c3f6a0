"""The UAI code (Unité Administrative Immatriculée) that identifies a French school.

Seven characters (a three-character département code, then four digits) and a
check letter: the seven characters read as a number, modulo 23, index a 23-letter
alphabet without I, O and Q. Corsica's 2A / 2B département codes count as 20.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

UAI_PATTERN = re.compile(r"^(?P<body>[0-9]{2}[0-9AB][0-9]{4})(?P<key>[A-Z])$")
CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


def uai_check_letter(body: str) -> str:
    digits = body.replace("A", "0").replace("B", "0")
    return CHECK_LETTERS[int(digits) % 23]


def is_valid_uai(value: str) -> bool:
    match = UAI_PATTERN.match(value or "")
    return match is not None and uai_check_letter(match["body"]) == match["key"]


def validate_uai(value: str) -> None:
    if not UAI_PATTERN.match(value or ""):
        raise ValidationError(
            _("“%(value)s” is not a UAI code: 7 digits then a letter, e.g. 0750655E."),
            params={"value": value},
            code="uai_format",
        )
    if not is_valid_uai(value):
        raise ValidationError(
            _("“%(value)s”: the check letter does not match the UAI number."),
            params={"value": value},
            code="uai_check_letter",
        )

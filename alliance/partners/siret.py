"""The SIRET number of an establishment (SIRENE directory): 14 digits with a Luhn check.

The check itself is python-stdnum's (``stdnum.fr.siret``), which also knows La Poste's
establishments (SIREN 356 000 000), whose numbers follow another rule.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from stdnum.exceptions import InvalidChecksum, InvalidComponent
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siret as stdnum_siret


def normalise_siret(value: str) -> str:
    """Drop the spaces, dots and dashes people type in a SIRET (``552 100 554 00014``)."""
    return "".join(ch for ch in (value or "") if ch not in " .-\u00a0\u202f")


def validate_siret(value: str) -> None:
    """An empty value is allowed (the SIRET is optional); otherwise 14 digits passing the check."""
    if not value:
        return
    if len(value) != 14 or not value.isdigit():
        raise ValidationError(
            _("“%(value)s” is not a SIRET number: it has 14 digits (SIREN, then 5 digits)."),
            params={"value": value},
            code="siret_format",
        )
    try:
        stdnum_siret.validate(value)
    except (InvalidChecksum, InvalidComponent):
        raise ValidationError(
            _(
                "“%(value)s”: this SIRET number fails its check (a digit is wrong or two are "
                "swapped). Copy it again from the organisation's documents or annuaire-entreprises."
            ),
            params={"value": value},
            code="siret_checksum",
        ) from None
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a SIRET number: it has 14 digits (SIREN, then 5 digits)."),
            params={"value": value},
            code="siret_format",
        ) from None

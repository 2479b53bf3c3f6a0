"""Finding the pupil a row is about: by INE, pupil number, SIECLE id, or names — never by a guess.

Every identifier the row gives is tried; the row's pupil is the one pupil an
identifier designates, provided no other identifier of the row designates someone
else or contradicts it (a different INE recorded, another birth date). Names match
without case, accents or punctuation, in either order ("DUPONT Léa" or "Léa Dupont"),
narrowed by the birth date (which must agree) and, when several pupils share the
names, by the division. Zero pupils: unknown; several: ambiguous. Both are errors
located at the identifying column, and the message never repeats the name.

Names are compared by ``name_key`` (below): the same key for "Yılmaz" and "YILMAZ",
"Strauß" and "STRAUSS", "Cœur" and "COEUR", "N’Diaye" and "NDIAYE", "Jean-Paul" and
"JEAN PAUL". The directory is built once per import and each distinct row identity is
resolved once.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
import uuid
from dataclasses import dataclass

from django.utils.translation import gettext as _

from alliance.core.textfiles import plain_text
from alliance.pupils.models import Pupil
from alliance.tenancy.models import School


def without_leading_zeros(value: str) -> str:
    """An id compared without leading zeros ("00412" = "412"): re-saved spreadsheets lose them."""
    value = value.strip()
    return value.lstrip("0") or ("0" if value else "")


#: Letters that Unicode does not decompose to a base letter plus accents, or that
#: ``str.casefold`` leaves alone, spelt as an export in capitals (or ASCII) spells them.
_LETTERS = str.maketrans(
    {
        "ı": "i",  # Turkish dotless i: "YILMAZ" is "Yılmaz" (İ casefolds to i + dot above)
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ħ": "h",
        "ł": "l",
        "ŀ": "l",
        "þ": "th",
        "œ": "oe",
        "æ": "ae",
        "ĳ": "ij",
    }
)
_NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


# Remembered: every import of a school keys the same few thousand names again.
@functools.lru_cache(maxsize=65_536)
def name_key(value: str) -> str:
    """A name as compared: no case, accents, ligatures, apostrophes, hyphens or spaces.

    ``casefold`` (ß → ss, İ → i̇), then the letters of ``_LETTERS``, then NFKD and the
    combining marks dropped (é → e, ç → c, the dot of i̇), then everything that is not a
    letter or a digit dropped: "LE GALL Jean-Paul", "Le Gall Jean Paul" and
    "LEGALL JEANPAUL" have one key. Names in other scripts keep their letters.
    """
    folded = unicodedata.normalize("NFKD", value.casefold().translate(_LETTERS))
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return _NOT_LETTER_OR_DIGIT.sub("", stripped.translate(_LETTERS))


@functools.lru_cache(maxsize=4096)
def division_key(code: str) -> str:
    return plain_text(code).replace(" ", "")


@dataclass(frozen=True)
class KnownPupil:
    pk: int
    public_id: uuid.UUID
    birth_date: dt.date
    national_id: str
    source_id: str
    school_number: str
    division: str


@dataclass(frozen=True)
class PupilIds:
    """What a row says about its pupil (cleaned cells; empty when not given)."""

    ine: str = ""
    school_number: str = ""
    source_id: str = ""
    pupil_name: str = ""
    last_name: str = ""
    first_name: str = ""
    birth_date: dt.date | None = None
    division: str = ""

    def given(self) -> bool:
        return bool(
            self.ine
            or self.school_number
            or self.source_id
            or self.pupil_name
            or (self.last_name and self.first_name)
        )


@dataclass(frozen=True)
class Resolution:
    pupil: KnownPupil | None
    #: (field, message) when the row's pupil cannot be told.
    problem: tuple[str, str] | None = None


class PupilDirectory:
    """The school's pupils (those who left included: their past events still count), indexed."""

    def __init__(self, school: School) -> None:
        self.by_ine: dict[str, list[KnownPupil]] = {}
        self.by_school_number: dict[str, list[KnownPupil]] = {}
        self.by_source_id: dict[str, list[KnownPupil]] = {}
        self.by_name: dict[str, list[KnownPupil]] = {}
        rows = Pupil.objects.filter(school=school).values_list(
            "pk",
            "public_id",
            "last_name",
            "first_name",
            "birth_date",
            "national_id",
            "source_id",
            "school_number",
            "division__code",
        )
        for pk, public_id, last, first, birth, ine, source_id, number, division in rows:
            known = KnownPupil(
                pk=pk,
                public_id=public_id,
                birth_date=birth,
                national_id=ine.upper(),
                source_id=without_leading_zeros(source_id),
                school_number=without_leading_zeros(number),
                division=division_key(division or ""),
            )
            if known.national_id:
                self.by_ine.setdefault(known.national_id, []).append(known)
            if known.source_id:
                self.by_source_id.setdefault(known.source_id, []).append(known)
            if known.school_number:
                self.by_school_number.setdefault(known.school_number, []).append(known)
            for name in {name_key(f"{last} {first}"), name_key(f"{first} {last}")}:
                self.by_name.setdefault(name, []).append(known)
        self._resolved: dict[PupilIds, Resolution] = {}

    def _by_names(self, ids: PupilIds) -> tuple[str, list[KnownPupil]] | None:
        if ids.pupil_name:
            field, candidates = "pupil_name", self.by_name.get(name_key(ids.pupil_name), [])
        elif ids.last_name and ids.first_name:
            key = name_key(f"{ids.last_name} {ids.first_name}")
            field, candidates = "last_name", self.by_name.get(key, [])
        else:
            return None
        if ids.birth_date is not None:
            candidates = [p for p in candidates if p.birth_date == ids.birth_date]
        if len(candidates) > 1 and ids.division:
            in_division = [p for p in candidates if p.division == division_key(ids.division)]
            candidates = in_division or candidates
        return field, candidates

    def resolve(self, ids: PupilIds) -> Resolution:
        """The row's pupil, or why it cannot be told (each distinct ``ids`` resolved once)."""
        found = self._resolved.get(ids)
        if found is None:
            found = self._resolved[ids] = self._resolve(ids)
        return found

    def _resolve(self, ids: PupilIds) -> Resolution:
        lookups: list[tuple[str, list[KnownPupil]]] = []
        if ids.ine:
            lookups.append(("ine", self.by_ine.get(ids.ine.upper(), [])))
        if ids.school_number:
            number = without_leading_zeros(ids.school_number)
            lookups.append(("school_number", self.by_school_number.get(number, [])))
        if ids.source_id:
            source_id = without_leading_zeros(ids.source_id)
            lookups.append(("source_id", self.by_source_id.get(source_id, [])))
        names = self._by_names(ids)
        if names is not None:
            lookups.append(names)
        if not lookups:
            return Resolution(None, ("", _("the pupil is not identified: these cells are empty.")))

        found: tuple[str, KnownPupil] | None = None
        for field, candidates in lookups:
            if len(candidates) != 1:
                continue
            if found is None:
                found = (field, candidates[0])
            elif candidates[0] != found[1]:
                return Resolution(
                    None,
                    (
                        field,
                        _(
                            "this column designates another pupil than the %(other)s column: "
                            "check the row."
                        )
                        % {"other": _field_word(found[0])},
                    ),
                )
        if found is not None:
            return self._check_agrees(ids, *found)
        for field, candidates in lookups:
            if len(candidates) > 1:
                return Resolution(
                    None,
                    (
                        field,
                        _(
                            "%(count)s pupils of the school match this row; add the INE, the pupil "
                            "number, the birth date or the division to tell them apart."
                        )
                        % {"count": len(candidates)},
                    ),
                )
        field = lookups[0][0]
        return Resolution(
            None,
            (
                field,
                _(
                    "no pupil of the school matches this %(what)s (import or update the roster "
                    "first, or check the cell)."
                )
                % {"what": _field_word(field)},
            ),
        )

    @staticmethod
    def _check_agrees(ids: PupilIds, field: str, pupil: KnownPupil) -> Resolution:
        """The other identifiers of the row must not contradict the pupil found."""
        checks = (
            ("ine", ids.ine.upper(), pupil.national_id),
            ("school_number", without_leading_zeros(ids.school_number), pupil.school_number),
            ("source_id", without_leading_zeros(ids.source_id), pupil.source_id),
        )
        for name, given, recorded in checks:
            if given and recorded and given != recorded:
                return Resolution(
                    None,
                    (
                        name,
                        _(
                            "the pupil found by the %(found)s column has another %(what)s "
                            "recorded: check the row."
                        )
                        % {
                            "found": _field_word(field),
                            "what": _field_word(name),
                        },
                    ),
                )
        if ids.birth_date is not None and ids.birth_date != pupil.birth_date:
            return Resolution(
                None,
                (
                    "birth_date",
                    _(
                        "the pupil found by the %(found)s column has another birth date "
                        "recorded: check the row."
                    )
                    % {"found": _field_word(field)},
                ),
            )
        return Resolution(pupil)


def _field_word(key: str) -> str:
    """How a message names an identifying column (worded when used, in the active language)."""
    words = {
        "ine": _("INE"),
        "school_number": _("pupil number"),
        "source_id": _("SIECLE id"),
        "pupil_name": _("name"),
        "last_name": _("name"),
        "birth_date": _("birth date"),
    }
    return words.get(key, key)

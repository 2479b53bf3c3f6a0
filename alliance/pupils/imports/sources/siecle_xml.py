"""SIECLE "BEE" XML exports (docs/formats/siecle-xml.md): pupils and their guardians.

Reads ``ElevesSansAdresses.xml`` / ``ElevesAvecAdresses.xml`` (root ``BEE_ELEVES``)
and ``ResponsablesAvecAdresses.xml`` (root ``BEE_RESPONSABLES``), alone or together
in a zip (read as a whole: the guardians file then completes the pupils file).

Safety: the XML is parsed by defusedxml with DTDs forbidden (so no entity can
expand), zips are opened member by member with size and count limits, and the
declared encoding (ISO-8859-15 in SIECLE) is applied strictly.

Minimisation: only names, birth date, INE, SIECLE ids, division (the structure of
type ``D``), entry and leaving dates are read from pupils; guardians' names, link,
level of responsibility, one phone number, e-mail and postal address. Everything
else is listed in the report as not imported.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from alliance.core.textfiles import (
    CellError,
    FileIssue,
    IssueList,
    clean_cell,
    display_name,
    parse_french_date,
)
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.records import (
    GuardianRecord,
    ParsedFile,
    PupilRecord,
    french_phone,
    strip_zeros,
)
from alliance.pupils.models import GuardianRelationship, RosterSource
from alliance.pupils.roster import parse_date, parse_ine
from alliance.tenancy.years import school_year_label

#: An XML document larger than this (uncompressed) is refused.
MAX_XML_SIZE = 40 * 1024 * 1024
#: A zip with more members than this is refused.
MAX_ZIP_MEMBERS = 20
_NAME_MAX = 100
_DIVISION_MAX = 32
_PHONE_MAX = 32
_PHONE = re.compile(r"\+?[0-9][0-9 .\-()]{3,30}")
_DECLARATION = re.compile(
    rb"""\A(?:\xef\xbb\xbf)?\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']"""
)

#: SIECLE CODE_PARENTE → the relationship Alliance records.
RELATIONSHIP_CODES = {
    "10": GuardianRelationship.MOTHER,
    "20": GuardianRelationship.FATHER,
    "37": GuardianRelationship.SIBLING,
    "38": GuardianRelationship.GRANDPARENT,
    "39": GuardianRelationship.OTHER_FAMILY,
    "41": GuardianRelationship.EDUCATOR,
    "42": GuardianRelationship.FOSTER_CARER,
    "50": GuardianRelationship.GUARDIAN,
    "51": GuardianRelationship.CHILD_WELFARE,
    "70": GuardianRelationship.SELF,
    "90": GuardianRelationship.OTHER,
}


# --------------------------------------------------------------------------- documents


@dataclass
class _Document:
    name: str  # "ElevesSansAdresses.xml", or "export.zip/ElevesSansAdresses.xml"
    root: Element
    encoding: str

    @property
    def kind(self) -> str:
        return self.root.tag


def _fail(filename: str, message: str) -> RosterError:
    return RosterError(filename, [FileIssue(message)])


def _members(data: bytes, name: str) -> list[tuple[str, bytes]]:
    """The XML documents of the upload: itself, or the ``.xml`` members of a zip."""
    if not data.startswith(b"PK\x03\x04"):
        return [(name, data)]
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = [info for info in archive.infolist() if not info.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _fail(name, _("the zip archive cannot be opened (truncated or damaged?).")) from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise _fail(
            name,
            _("the zip archive holds %(count)s files; a SIECLE export holds a few.")
            % {"count": len(infos)},
        )
    members = []
    for info in infos:
        member = f"{name}/{PurePath(info.filename).name}"
        if not info.filename.lower().endswith(".xml"):
            continue
        if info.flag_bits & 0x1:
            raise _fail(member, _("the file is encrypted in the zip archive."))
        if info.file_size > MAX_XML_SIZE:
            raise _fail(member, _("the file is too large once unzipped."))
        try:
            with archive.open(info) as handle:
                content = handle.read(MAX_XML_SIZE + 1)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            raise _fail(member, _("the file cannot be unzipped (damaged archive?).")) from None
        if len(content) > MAX_XML_SIZE:  # the archive lied about the size
            raise _fail(member, _("the file is too large once unzipped."))
        members.append((member, content))
    if not members:
        raise _fail(name, _("the zip archive holds no XML file: is it a SIECLE XML export?"))
    return members


def _position(content: bytes, offset: int) -> tuple[int, int]:
    line = content.count(b"\n", 0, offset) + 1
    column = offset - (content.rfind(b"\n", 0, offset) + 1) + 1
    return line, column


def _decode(content: bytes, name: str) -> tuple[str, str]:
    """The document's text, decoded strictly with the encoding it declares (UTF-8 if none)."""
    if content.startswith(b"\xef\xbb\xbf"):
        declared = "utf-8-sig"
    elif match := _DECLARATION.match(content[:200]):
        declared = match.group(1).decode("ascii")
    else:
        declared = "utf-8"
    try:
        codec = codecs.lookup(declared)
    except LookupError:
        raise _fail(
            name,
            _("the file declares an encoding Alliance does not know (“%(encoding)s”).")
            % {"encoding": declared},
        ) from None
    try:
        return content.decode(codec.name), declared.upper().replace("UTF-8-SIG", "UTF-8 (BOM)")
    except UnicodeDecodeError as error:
        line, column = _position(content, error.start)
        raise _fail(
            name,
            _(
                "line %(line)s, column %(column)s: byte 0x%(byte)02X is not valid %(encoding)s, "
                "the encoding the file declares; export the file again from SIECLE without "
                "opening it in another program."
            )
            % {
                "line": line,
                "column": column,
                "byte": content[error.start],
                "encoding": declared.upper(),
            },
        ) from None


def _parse_document(name: str, content: bytes) -> _Document:
    if not content.strip():
        raise _fail(name, _("the file is empty."))
    text, encoding = _decode(content, name)
    try:
        root = fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _fail(
            name, _("the file declares a DTD or entities, which SIECLE exports never do.")
        ) from None
    except ParseError as error:
        line, column = error.position
        raise _fail(
            name,
            _(
                "line %(line)s, column %(column)s: the XML is malformed or truncated "
                "(%(reason)s); export the file again from SIECLE."
            )
            % {"line": line, "column": column + 1, "reason": str(error).split(":")[0]},
        ) from None
    return _Document(name, root, encoding)


# --------------------------------------------------------------------------- values


def _text(element: Element | None, tag: str) -> str:
    """An attribute or a child element's text (IDs come either way), cleaned; "" if absent."""
    if element is None:
        return ""
    value = element.get(tag)
    if value is None:
        child = element.find(tag)
        value = child.text if child is not None else None
    return clean_cell(value or "")


def _first(element: Element, *tags: str) -> str:
    for tag in tags:
        if value := _text(element, tag):
            return value
    return ""


class _Reader:
    """Reads values of one element, collecting located problems ("ELEVE_ID 12, DATE_NAISS: …")."""

    def __init__(self, issues: IssueList, locator: str):
        self.issues = issues
        self.locator = locator
        self.ok = True

    def fail(self, tag: str, message: str) -> None:
        self.ok = False
        self.issues.add(
            FileIssue(
                _("%(where)s, %(tag)s: %(message)s")
                % {"where": self.locator, "tag": tag, "message": message}
            )
        )

    def parse(self, element: Element, tag: str, parser: Any, *args: Any) -> Any:
        try:
            return parser(_text(element, tag), *args)
        except CellError as error:
            self.fail(tag, str(error))
            return None


def _required_name(value: str) -> str:
    if not value:
        raise CellError(_("a value is required."))
    if len(value) > _NAME_MAX:
        raise CellError(_("at most %(max)s characters.") % {"max": _NAME_MAX})
    return value


def _optional_date(value: str) -> dt.date | None:
    return parse_french_date(value) if value else None


# --------------------------------------------------------------------------- pupils


@dataclass
class _Pupils:
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # ELEVE_ID → values
    with_addresses: bool = False


def _read_pupils(document: _Document, issues: IssueList, today: dt.date) -> _Pupils:
    pupils = _Pupils()
    by_ine: dict[str, str] = {}
    root = document.root
    pupils.with_addresses = root.find("DONNEES/ADRESSES") is not None or any(
        _text(e, "ADRESSE_ID") for e in root.iterfind("DONNEES/ELEVES/ELEVE")
    )
    for position, element in enumerate(root.iterfind("DONNEES/ELEVES/ELEVE"), start=1):
        source_id = strip_zeros(_text(element, "ELEVE_ID"))
        if not source_id:
            issues.add(
                FileIssue(
                    _("the pupil number %(position)s (ELEVE) has no ELEVE_ID.")
                    % {"position": position}
                )
            )
            continue
        locator = f"ELEVE_ID {source_id}"
        if source_id in pupils.records:
            issues.add(FileIssue(_("%(where)s appears twice in the file.") % {"where": locator}))
            continue
        reader = _Reader(issues, locator)
        ine_tag = next(
            (t for t in ("ID_NATIONAL", "INE_RNIE", "INE_BEA") if _text(element, t)),
            "ID_NATIONAL",
        )
        values = {
            "locator": locator,
            "source_id": source_id,
            "school_number": strip_zeros(_text(element, "ELENOET")),
            "national_id": reader.parse(element, ine_tag, parse_ine) or "",
            "last_name": _first(element, "NOM_DE_FAMILLE", "NOM"),
            "first_name": reader.parse(element, "PRENOM", _required_name),
            "birth_date": reader.parse(element, "DATE_NAISS", parse_date, today),
            "entered_on": reader.parse(element, "DATE_ENTREE", _optional_date),
            "left_on": reader.parse(element, "DATE_SORTIE", _optional_date),
            "division": "",
        }
        try:
            _required_name(values["last_name"])
        except CellError as error:
            reader.fail("NOM_DE_FAMILLE", str(error))
        if values["national_id"]:
            first = by_ine.setdefault(values["national_id"], locator)
            if first != locator:
                reader.fail(
                    ine_tag,
                    _("the INE %(ine)s is also that of %(first)s: each pupil must appear once.")
                    % {"ine": values["national_id"], "first": first},
                )
        if reader.ok:
            pupils.records[source_id] = values
    _read_structures(root, pupils, issues)
    return pupils


def _read_structures(root: Element, pupils: _Pupils, issues: IssueList) -> None:
    """The division of each pupil: the structure of type D (groups, type G, are not imported)."""
    for element in root.iterfind("DONNEES/STRUCTURES/STRUCTURES_ELEVE"):
        source_id = strip_zeros(_text(element, "ELEVE_ID"))
        values = pupils.records.get(source_id)
        if values is None:
            continue  # a pupil refused above, or absent from the file
        for structure in element.iterfind("STRUCTURE"):
            if _text(structure, "TYPE_STRUCTURE").upper() != "D":
                continue
            code = _text(structure, "CODE_STRUCTURE")
            reader = _Reader(issues, values["locator"])
            if not code:
                reader.fail("CODE_STRUCTURE", _("the division's code is empty."))
            elif len(code) > _DIVISION_MAX:
                reader.fail(
                    "CODE_STRUCTURE", _("at most %(max)s characters.") % {"max": _DIVISION_MAX}
                )
            elif values["division"] and values["division"] != code:
                reader.fail(
                    "CODE_STRUCTURE",
                    _("two divisions (“%(first)s” and “%(second)s”): a pupil is in one division.")
                    % {"first": values["division"], "second": code},
                )
            else:
                values["division"] = code


# --------------------------------------------------------------------------- guardians


@dataclass
class _Guardians:
    by_pupil: dict[str, list[tuple[int, str, GuardianRecord]]] = field(default_factory=dict)
    contacts_only: int = 0
    warnings: list[str] = field(default_factory=list)


def _address(element: Element | None) -> str:
    if element is None:
        return ""
    lines = [_text(element, f"LIGNE{n}_ADRESSE") for n in range(1, 5)]
    town = _first(element, "LIBELLE_POSTAL", "LL_COMMUNE_INSEE", "COMMUNE_ETRANGERE")
    lines.append(" ".join(v for v in (_text(element, "CODE_POSTAL"), town) if v))
    country = _text(element, "LL_PAYS")
    if country and country.upper() != "FRANCE":
        lines.append(country)
    return "\n".join(line for line in lines if line)


def _contact(person: Element, locator: str, warnings: list[str]) -> tuple[str, str]:
    phone = ""
    for tag in ("TEL_PORTABLE", "TEL_PERSONNEL", "TEL_PROFESSIONNEL"):
        value = french_phone(_text(person, tag))
        if not value:
            continue
        if len(value) <= _PHONE_MAX and _PHONE.fullmatch(value):
            phone = value
            break
        warnings.append(
            _("%(where)s: %(tag)s is not a phone number; it was not imported.")
            % {"where": locator, "tag": tag}
        )
    email = _text(person, "MEL")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            warnings.append(
                _("%(where)s: MEL is not an e-mail address; it was not imported.")
                % {"where": locator}
            )
            email = ""
    return phone, email


def _level(link: Element) -> int | None:
    """1: legal representative, 2: person in charge, None: a person to contact only.

    Newer files say NIVEAU_RESPONSABILITE (1, 2, 3); older ones RESP_LEGAL (1, 2; 0 = not).
    """
    level = _text(link, "NIVEAU_RESPONSABILITE")
    if level:
        return {"1": 1, "2": 2}.get(level)
    legal = _text(link, "RESP_LEGAL")
    return 1 if legal in {"1", "2"} else None


def _read_guardians(document: _Document, issues: IssueList) -> _Guardians:
    root = document.root
    result = _Guardians()
    addresses = {
        strip_zeros(_text(a, "ADRESSE_ID")): a for a in root.iterfind("DONNEES/ADRESSES/ADRESSE")
    }
    persons: dict[str, Element] = {}
    for position, person in enumerate(root.iterfind("DONNEES/PERSONNES/PERSONNE"), start=1):
        person_id = strip_zeros(_text(person, "PERSONNE_ID"))
        if not person_id:
            issues.add(
                FileIssue(
                    _("the person number %(position)s (PERSONNE) has no PERSONNE_ID.")
                    % {"position": position}
                )
            )
            continue
        persons[person_id] = person
    seen: set[tuple[str, str]] = set()
    for position, link in enumerate(root.iterfind("DONNEES/RESPONSABLES/RESPONSABLE_ELEVE"), 1):
        source_id = strip_zeros(_text(link, "ELEVE_ID"))
        person_id = strip_zeros(_text(link, "PERSONNE_ID"))
        if not source_id or not person_id:
            issues.add(
                FileIssue(
                    _(
                        "the link number %(position)s (RESPONSABLE_ELEVE) lacks its ELEVE_ID or "
                        "PERSONNE_ID."
                    )
                    % {"position": position}
                )
            )
            continue
        if (source_id, person_id) in seen:
            continue
        seen.add((source_id, person_id))
        locator = f"ELEVE_ID {source_id}, PERSONNE_ID {person_id}"
        level = _level(link)
        if level is None:
            result.contacts_only += 1
            continue
        described = persons.get(person_id)
        if described is None:
            issues.add(
                FileIssue(
                    _("%(where)s: the file does not describe this person (PERSONNE).")
                    % {"where": locator}
                )
            )
            continue
        reader = _Reader(issues, f"PERSONNE_ID {person_id}")
        last_name = _first(described, "NOM_USAGE", "NOM_DE_FAMILLE", "NOM")
        try:
            _required_name(last_name)
        except CellError as error:
            reader.fail("NOM_DE_FAMILLE", str(error))
        first_name = _text(described, "PRENOM")
        if len(first_name) > _NAME_MAX:
            reader.fail("PRENOM", _("at most %(max)s characters.") % {"max": _NAME_MAX})
        if not reader.ok:
            continue
        code = _text(link, "CODE_PARENTE")
        relationship = RELATIONSHIP_CODES.get(code.zfill(2) if code else "")
        if relationship is None:
            result.warnings.append(
                _("%(where)s: unknown CODE_PARENTE “%(code)s”, recorded as “other”.")
                % {"where": locator, "code": code}
            )
            relationship = GuardianRelationship.OTHER
        phone, email = _contact(described, f"PERSONNE_ID {person_id}", result.warnings)
        record = GuardianRecord(
            last_name=last_name,
            first_name=first_name,
            relationship=str(relationship),
            legal_responsibility=level == 1,
            phone=phone,
            email=email,
            address=_address(addresses.get(strip_zeros(_text(described, "ADRESSE_ID")))),
        )
        result.by_pupil.setdefault(source_id, []).append((level, person_id, record))
    return result


def _ordered(links: Iterable[tuple[int, str, GuardianRecord]]) -> tuple[GuardianRecord, ...]:
    return tuple(record for _level, _id, record in sorted(links, key=lambda x: (x[0], x[1])))


# --------------------------------------------------------------------------- whole file


def _parameters(document: _Document) -> dict[str, str]:
    params = document.root.find("PARAMETRES")
    return {
        tag: _text(params, tag) for tag in ("UAJ", "ANNEE_SCOLAIRE", "DATE_EXPORT", "HORODATAGE")
    } | {"VERSION": document.root.get("VERSION", "")}


def _not_imported(kinds: set[str], with_addresses: bool, contacts_only: int) -> list[str]:
    """What the export holds and Alliance deliberately does not import (minimisation)."""
    notes: list[str] = []
    if "BEE_ELEVES" in kinds:
        notes += [
            _("Pupils: sex (CODE_SEXE)."),
            _("Pupils: usage name, second and third given names (NOM_USAGE, PRENOM2, PRENOM3)."),
            _(
                "Pupils: regime, status, MEF and repeating (CODE_REGIME, CODE_STATUT, CODE_MEF, "
                "DOUBLEMENT)."
            ),
            _("Pupils: leaving reason (CODE_MOTIF_SORTIE)."),
            _("Pupils: their own e-mail and phone numbers (MEL, TEL_*)."),
            _("Pupils: last year's schooling (SCOLARITE_AN_DERNIER)."),
            _("Pupils: options and groups (structures of type G)."),
        ]
        if with_addresses:
            notes.append(_("Pupils: their postal addresses (ElevesAvecAdresses)."))
    if "BEE_RESPONSABLES" in kinds:
        notes += [
            _("Guardians: civility (LC_CIVILITE)."),
            _(
                "Guardians: financial responsibility and payment (RESP_FINANCIER, "
                "PERS_PAIEMENT, PAIE_FRAIS_SCOLAIRES)."
            ),
            _("Guardians: contact priority (PERS_CONTACT, A_CONTACTER_EN_PRIORITE)."),
            _("Guardians: their second and third phone numbers (one is kept)."),
        ]
        if contacts_only:
            notes.append(
                _(
                    "%(count)s persons to contact only (neither legal representative nor person "
                    "in charge)."
                )
                % {"count": contacts_only}
            )
    if "BEE_NOMENCLATURES" in kinds:
        notes.append(_("The nomenclature file (codes and labels)."))
    return notes


def parse(data: bytes, filename: str, *, today: dt.date, full_list: bool = False) -> ParsedFile:
    """The whole export, validated (``RosterError`` listing every problem found)."""
    name = display_name(filename, "siecle.xml")
    documents = [_parse_document(member, content) for member, content in _members(data, name)]
    by_kind: dict[str, _Document] = {}
    warnings: list[str] = []
    for document in documents:
        if document.kind not in {"BEE_ELEVES", "BEE_RESPONSABLES", "BEE_NOMENCLATURES"}:
            raise _fail(
                document.name,
                _(
                    "this is not a SIECLE export of pupils or guardians (its root element is "
                    "<%(root)s>, not BEE_ELEVES or BEE_RESPONSABLES)."
                )
                % {"root": document.kind[:40]},
            )
        if document.kind in by_kind:
            warnings.append(
                _("%(name)s was not read: the archive holds another file of the same kind.")
                % {"name": PurePath(document.name).name}
            )
            continue
        by_kind[document.kind] = document
    pupils_doc = by_kind.get("BEE_ELEVES")
    guardians_doc = by_kind.get("BEE_RESPONSABLES")
    if pupils_doc is None and guardians_doc is None:
        raise _fail(
            name,
            _(
                "no pupils nor guardians in this export (only the nomenclature): export "
                "ElevesSansAdresses and ResponsablesAvecAdresses."
            ),
        )

    # The school and the year, the same in every document.
    main = pupils_doc or guardians_doc
    assert main is not None
    params = _parameters(main)
    for document in (d for d in (pupils_doc, guardians_doc) if d is not None):
        uaj = _parameters(document)["UAJ"].upper()
        if not uaj:
            raise _fail(
                document.name,
                _(
                    "the file does not say which school it comes from (PARAMETRES/UAJ is "
                    "missing): it cannot be checked, so it is not imported."
                ),
            )
        if uaj != params["UAJ"].upper():
            raise _fail(
                document.name,
                _("the files of the archive come from different schools (%(a)s, %(b)s).")
                % {"a": params["UAJ"], "b": uaj},
            )
        year = _parameters(document)["ANNEE_SCOLAIRE"]
        current = school_year_label(today)
        if year and year != current[:4]:
            raise _fail(
                document.name,
                _(
                    "this export is of the school year starting in %(year)s, not of the "
                    "current year (%(current)s): export the current year from SIECLE."
                )
                % {"year": year, "current": current},
            )

    issues = IssueList(RosterError)
    pupils = _read_pupils(pupils_doc, issues, today) if pupils_doc is not None else None
    guardians = _read_guardians(guardians_doc, issues) if guardians_doc is not None else None
    if pupils is not None and not pupils.records and not issues:
        issues.add(
            FileIssue(
                _(
                    "the export holds no pupil. An empty roster would mark every pupil as having "
                    "left, so it is refused."
                )
            )
        )
    # Problems name the document they were found in (the archive when several were read).
    issues.raise_if_any(main.name if len(by_kind) == 1 else name)

    records: list[PupilRecord] = []
    guardians_by_source_id = None
    if pupils is not None:
        for source_id, values in pupils.records.items():
            links = guardians.by_pupil.get(source_id) if guardians else None
            records.append(
                PupilRecord(
                    locator=values["locator"],
                    last_name=values["last_name"],
                    first_name=values["first_name"],
                    birth_date=values["birth_date"],
                    division=values["division"],
                    national_id=values["national_id"],
                    source_id=source_id,
                    school_number=values["school_number"],
                    entered_on=values["entered_on"],
                    left_on=values["left_on"],
                    guardians=_ordered(links) if links else None,
                )
            )
        without_division = sum(1 for r in records if not r.division and not r.left_on)
        if without_division:
            warnings.append(
                _(
                    "%(count)s pupils have no division (no structure of type D) in the export: "
                    "their recorded division is kept."
                )
                % {"count": without_division}
            )
    elif guardians is not None:
        guardians_by_source_id = {
            source_id: _ordered(links) for source_id, links in guardians.by_pupil.items()
        }
    if guardians is not None:
        warnings.extend(guardians.warnings)

    details = [
        _("SIECLE export of %(date)s for the school %(uai)s (format version %(version)s).")
        % {
            "date": params["DATE_EXPORT"] or params["HORODATAGE"] or "?",
            "uai": params["UAJ"],
            "version": params["VERSION"] or "?",
        },
        _("Files read: %(names)s.")
        % {"names": ", ".join(PurePath(d.name).name for d in by_kind.values())},
    ]
    if pupils is None:
        details.append(
            _(
                "A guardians file alone: it updates the guardians of pupils already known by "
                "their SIECLE id, and nothing else."
            )
        )
    elif guardians is None:
        details.append(_("A pupils file alone: the recorded guardians are left as they are."))
    return ParsedFile(
        filename=name,
        source_format=RosterSource.SIECLE_XML,
        records=records,
        full_roster=pupils is not None,
        encoding=", ".join(sorted({d.encoding for d in by_kind.values()})),
        details=details,
        warnings=warnings,
        not_imported=_not_imported(
            set(by_kind) | {d.kind for d in documents},
            bool(pupils and pupils.with_addresses),
            guardians.contacts_only if guardians else 0,
        ),
        guardians_by_source_id=guardians_by_source_id,
        school_uai=params["UAJ"].upper(),
    )

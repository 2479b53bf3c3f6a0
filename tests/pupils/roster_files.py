"""Builders of roster files as the school's software writes them (from /work/shared/FORMATS.md).

Every person here is invented; phone numbers are in the 06 39 98 fiction range and
e-mails @example.fr.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

from alliance.core import clock
from alliance.tenancy.years import school_year_label


def current_year_start() -> str:
    return school_year_label(clock.today())[:4]


# --------------------------------------------------------------------------- SIECLE XML


@dataclass
class Eleve:
    eleve_id: str
    nom: str
    prenom: str
    naissance: str  # JJ/MM/AAAA
    ine: str = ""
    elenoet: str = ""
    structures: list[tuple[str, str]] = field(default_factory=list)  # (code, type)
    entree: str = "02/09/2024"
    sortie: str = ""
    extra: str = ""  # more XML inside <ELEVE>


@dataclass
class Personne:
    personne_id: str
    nom: str
    prenom: str
    civilite: str = "MME"
    nom_usage: str = ""
    tel_portable: str = ""
    tel_personnel: str = ""
    mel: str = ""
    adresse_id: str = ""


@dataclass
class Lien:
    eleve_id: str
    personne_id: str
    code_parente: str = "10"
    resp_legal: str | None = None  # old model: "1", "2", "0"
    niveau: str | None = None  # new model: "1", "2", "3"


def _tag(name: str, value: str | None) -> str:
    if value is None:
        return ""
    return f"<{name}>{escape(value)}</{name}>" if value else f"<{name}/>"


def _params(uaj: str, year: str | None) -> str:
    year = current_year_start() if year is None else year
    return (
        "<PARAMETRES>"
        f"{_tag('UAJ', uaj)}{_tag('ANNEE_SCOLAIRE', year)}"
        "<DATE_EXPORT>12/09/2026</DATE_EXPORT><HORODATAGE>12/09/2026 10:11:12</HORODATAGE>"
        "</PARAMETRES>"
    )


def eleves_xml(
    eleves: list[Eleve],
    *,
    uaj: str,
    year: str | None = None,
    ids_as: str = "attribute",
    encoding: str = "ISO-8859-15",
    version: str = "3.1",
    with_addresses: bool = False,
) -> bytes:
    """ElevesSansAdresses.xml (or ElevesAvecAdresses.xml), LF line ends, no BOM."""
    lines = [f'<?xml version="1.0" encoding="{encoding}"?>', f'<BEE_ELEVES VERSION="{version}">']
    lines.append(_params(uaj, year))
    lines.append("<DONNEES>")
    lines.append("<ELEVES>")
    for e in eleves:
        if ids_as == "attribute":
            opening = f"<ELEVE ELEVE_ID={quoteattr(e.eleve_id)} ELENOET={quoteattr(e.elenoet)}>"
            ids = ""
        else:
            opening = "<ELEVE>"
            ids = _tag("ELEVE_ID", e.eleve_id)
        address = "<ADRESSE_ID>901</ADRESSE_ID>" if with_addresses else ""
        lines.append(
            opening
            + ids
            + _tag("ELENOET", e.elenoet)
            + _tag("ID_NATIONAL", e.ine)
            + _tag("NOM_DE_FAMILLE", e.nom)
            + "<NOM_USAGE/>"
            + _tag("PRENOM", e.prenom)
            + "<PRENOM2/>"
            + _tag("DATE_NAISS", e.naissance)
            + "<CODE_SEXE>2</CODE_SEXE><DOUBLEMENT>N</DOUBLEMENT><CODE_REGIME>2</CODE_REGIME>"
            + _tag("DATE_ENTREE", e.entree)
            + (_tag("DATE_SORTIE", e.sortie) if e.sortie else "")
            + "<CODE_MEF>10310019110</CODE_MEF><CODE_STATUT>ST</CODE_STATUT>"
            + "<MEL>eleve@example.fr</MEL><TEL_PORTABLE>06 39 98 00 00</TEL_PORTABLE>"
            + address
            + "<SCOLARITE_AN_DERNIER><CODE_RNE>0941111X</CODE_RNE>"
            + "<CODE_STRUCTURE>5E2</CODE_STRUCTURE></SCOLARITE_AN_DERNIER>"
            + e.extra
            + "</ELEVE>"
        )
    lines.append("</ELEVES>")
    lines.append("<OPTIONS/>")
    lines.append("<STRUCTURES>")
    for e in eleves:
        if not e.structures:
            continue
        if ids_as == "attribute":
            opening = f"<STRUCTURES_ELEVE ELEVE_ID={quoteattr(e.eleve_id)}>"
        else:
            opening = f"<STRUCTURES_ELEVE>{_tag('ELEVE_ID', e.eleve_id)}"
        lines.append(
            opening
            + "".join(
                f"<STRUCTURE>{_tag('CODE_STRUCTURE', code)}{_tag('TYPE_STRUCTURE', kind)}"
                "</STRUCTURE>"
                for code, kind in e.structures
            )
            + "</STRUCTURES_ELEVE>"
        )
    lines.append("</STRUCTURES>")
    if with_addresses:
        lines.append(
            "<ADRESSES><ADRESSE ADRESSE_ID='901'><LIGNE1_ADRESSE>1 rue Imaginaire</LIGNE1_ADRESSE>"
            "<CODE_POSTAL>94200</CODE_POSTAL></ADRESSE></ADRESSES>"
        )
    lines.append("</DONNEES>")
    lines.append("</BEE_ELEVES>")
    return ("\n".join(lines) + "\n").encode(encoding)


def responsables_xml(
    personnes: list[Personne],
    liens: list[Lien],
    *,
    uaj: str,
    year: str | None = None,
    ids_as: str = "attribute",
    encoding: str = "ISO-8859-15",
    version: str = "3.1",
) -> bytes:
    """ResponsablesAvecAdresses.xml, with either guardian model per link."""
    lines = [
        f'<?xml version="1.0" encoding="{encoding}"?>',
        f'<BEE_RESPONSABLES VERSION="{version}">',
        _params(uaj, year),
        "<DONNEES>",
        "<PERSONNES>",
    ]
    for p in personnes:
        if ids_as == "attribute":
            opening, ids = f"<PERSONNE PERSONNE_ID={quoteattr(p.personne_id)}>", ""
        else:
            opening, ids = "<PERSONNE>", _tag("PERSONNE_ID", p.personne_id)
        lines.append(
            opening
            + ids
            + _tag("LC_CIVILITE", p.civilite)
            + _tag("NOM_DE_FAMILLE", p.nom)
            + _tag("NOM_USAGE", p.nom_usage)
            + _tag("PRENOM", p.prenom)
            + _tag("TEL_PERSONNEL", p.tel_personnel)
            + _tag("TEL_PORTABLE", p.tel_portable)
            + "<TEL_PROFESSIONNEL/>"
            + _tag("MEL", p.mel)
            + (_tag("ADRESSE_ID", p.adresse_id) if p.adresse_id else "")
            + "<CODE_PROFESSION>23</CODE_PROFESSION>"
            + "</PERSONNE>"
        )
    lines.append("</PERSONNES>")
    lines.append("<RESPONSABLES>")
    for link in liens:
        body = _tag("ELEVE_ID", link.eleve_id) + _tag("PERSONNE_ID", link.personne_id)
        if link.resp_legal is not None:
            body += (
                _tag("RESP_LEGAL", link.resp_legal)
                + _tag("CODE_PARENTE", link.code_parente)
                + "<RESP_FINANCIER>1</RESP_FINANCIER><PERS_PAIEMENT>1</PERS_PAIEMENT>"
                + "<PERS_CONTACT>1</PERS_CONTACT>"
            )
        else:
            body += (
                _tag("NIVEAU_RESPONSABILITE", link.niveau or "1")
                + _tag("CODE_PARENTE", link.code_parente)
                + "<PAIE_FRAIS_SCOLAIRES>true</PAIE_FRAIS_SCOLAIRES>"
                + "<A_CONTACTER_EN_PRIORITE>0</A_CONTACTER_EN_PRIORITE>"
            )
        lines.append(f"<RESPONSABLE_ELEVE>{body}</RESPONSABLE_ELEVE>")
    lines.append("</RESPONSABLES>")
    lines.append("<ADRESSES>")
    for p in personnes:
        if p.adresse_id:
            lines.append(
                f"<ADRESSE ADRESSE_ID={quoteattr(p.adresse_id)}>"
                "<LIGNE1_ADRESSE>12 rue des Lilas</LIGNE1_ADRESSE><LIGNE2_ADRESSE/>"
                "<CODE_POSTAL>94200</CODE_POSTAL><LIBELLE_POSTAL>IVRY-SUR-SEINE</LIBELLE_POSTAL>"
                "<LL_PAYS>FRANCE</LL_PAYS></ADRESSE>"
            )
    lines.append("</ADRESSES>")
    lines.append("</DONNEES>")
    lines.append("</BEE_RESPONSABLES>")
    return ("\n".join(lines) + "\n").encode(encoding)


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


# --------------------------------------------------------------------------- spreadsheets


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xls_bytes(rows: list[list[object]]) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Export")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, dt.date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------- Pronote


def pronote_bytes(header: list[str], rows: list[list[str]], *, quote_dates: bool = True) -> bytes:
    """A Pronote list: UTF-8 with BOM, ";", CRLF; dates quoted in some columns and not others."""

    def cell(value: str, column: str) -> str:
        if quote_dates and column == "Né(e) le" and value:
            return f'"{value}"'
        if ";" in value or '"' in value:
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [";".join(header)]
    lines += [";".join(cell(v, h) for v, h in zip(row, header, strict=True)) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


# --------------------------------------------------------------------------- database


def db_snapshot() -> dict[str, object]:
    """Every row an import could write, in full."""
    from alliance.audit.models import AuditEvent
    from alliance.pupils.models import Guardian, Pupil, RosterImport
    from alliance.tenancy.models import Division, SchoolYear

    return {
        "pupils": list(Pupil.objects.order_by("pk").values()),
        "guardians": list(Guardian.objects.order_by("pk").values()),
        "divisions": list(Division.objects.order_by("pk").values()),
        "years": list(SchoolYear.objects.order_by("pk").values()),
        "imports": list(RosterImport.objects.order_by("pk").values()),
        "audit": list(
            AuditEvent.objects.order_by("sequence").values_list("sequence", "entry_hash")
        ),
    }

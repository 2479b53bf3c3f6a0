"""SIECLE XML exports: pupils, divisions, both guardian models, zips, encodings, refusals."""

import datetime as dt

import pytest
from django.utils import translation

from alliance.core import clock
from alliance.pupils.imports.errors import RosterError
from alliance.pupils.imports.pipeline import roster_import_file
from alliance.pupils.imports.sources import siecle_xml
from alliance.pupils.models import Guardian, GuardianRelationship, Pupil, RosterImport
from tests import factories
from tests.pupils.roster_files import (
    Eleve,
    Lien,
    Personne,
    current_year_start,
    db_snapshot,
    eleves_xml,
    responsables_xml,
    zip_bytes,
)


@pytest.fixture(autouse=True)
def _messages_in_english():
    with translation.override("en"):
        yield


def chloe(**changes):
    values = {
        "eleve_id": "1001",
        "nom": "CŒURDEVEY",
        "prenom": "Chloé",
        "naissance": "18/05/2013",
        "ine": "1234567890A",
        "elenoet": "00412",
        # A group before the division: never take the first structure blindly.
        "structures": [("6E_LV2ESP", "G"), ("6 A", "D")],
    }
    return Eleve(**(values | changes))


def mael(**changes):
    values = {
        "eleve_id": "1002",
        "nom": "LE GALL",
        "prenom": "Maël",
        "naissance": "27/06/2011",
        "ine": "234567890DE",
        "elenoet": "413",
        "structures": [("_301P1", "D"), ("3LATIN", "G")],
    }
    return Eleve(**(values | changes))


PERSONNES = [
    Personne(
        "2001",
        "CŒURDEVEY",
        "Hélène",
        tel_portable="06 39 98 10 01",
        mel="helene.coeurdevey@example.fr",
        adresse_id="3001",
    ),
    Personne("2002", "LE GALL", "Yannick", civilite="M.", tel_personnel="06 39 98 10 04"),
    Personne("2003", "MORVAN", "Soizic", mel="soizic.morvan@example.fr"),
    Personne("2004", "ASE DU VAL-DE-MARNE", "", civilite=""),
    Personne("2005", "LE GALL", "Annick", nom_usage=""),
]
LIENS = [
    Lien("1001", "2001", "10", resp_legal="1"),  # older model
    Lien("1001", "2004", "51", resp_legal="2"),
    Lien("1002", "2002", "20", niveau="1"),  # newer model
    Lien("1002", "2003", "10", niveau="2"),  # person in charge: imported, not legal
    Lien("1002", "2005", "38", niveau="3"),  # person to contact only: not imported
]


def export(school, eleves=None, *, ids_as="attribute", responsables=True, **options):
    uaj = options.pop("uaj", school.uai)
    members = {
        "ElevesSansAdresses.xml": eleves_xml(
            eleves if eleves is not None else [chloe(), mael()],
            uaj=uaj,
            ids_as=ids_as,
            **options,
        )
    }
    if responsables:
        members["ResponsablesAvecAdresses.xml"] = responsables_xml(
            PERSONNES, LIENS, uaj=uaj or school.uai, ids_as=ids_as
        )
    return zip_bytes(members)


def run(actor, data, filename="ExportXML.zip", **options):
    return roster_import_file(actor=actor, data=data, filename=filename, **options)


def guardians_of(pupil):
    return sorted(
        pupil.guardians.values_list(
            "last_name", "first_name", "relationship", "legal_responsibility", "phone", "email"
        )
    )


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize("ids_as", ["attribute", "element"])
def test_zip_with_pupils_and_guardians_imports_both(cpe, school, ids_as):
    data = export(school, ids_as=ids_as)
    assert b"C\xbcURDEVEY" in eleves_xml([chloe()], uaj=school.uai)  # Œ in ISO-8859-15

    report = run(cpe, data)

    assert (report.created, report.updated, report.left, report.divisions_created) == (2, 0, 0, 2)
    assert report.source_format == "siecle_xml"
    assert report.encoding == "ISO-8859-15"
    coeur = Pupil.objects.get(source_id="1001")
    # "Œ" is 0xBC in ISO-8859-15 (and "¼" in Latin-1): the declared encoding was honoured.
    assert (coeur.last_name, coeur.first_name) == ("CŒURDEVEY", "Chloé")
    assert (coeur.national_id, coeur.school_number) == ("1234567890A", "412")
    assert coeur.birth_date == dt.date(2013, 5, 18)
    assert coeur.entered_on == dt.date(2024, 9, 2)
    assert coeur.division.code == "6 A"  # the D structure, not the group listed first
    assert Pupil.objects.get(source_id="1002").division.code == "_301P1"
    assert guardians_of(coeur) == [
        ("ASE DU VAL-DE-MARNE", "", GuardianRelationship.CHILD_WELFARE, True, "", ""),
        (
            "CŒURDEVEY",
            "Hélène",
            GuardianRelationship.MOTHER,
            True,
            "06 39 98 10 01",
            "helene.coeurdevey@example.fr",
        ),
    ]
    assert (
        coeur.guardians.get(first_name="Hélène").address == "12 rue des Lilas\n94200 IVRY-SUR-SEINE"
    )
    assert guardians_of(Pupil.objects.get(source_id="1002")) == [
        ("LE GALL", "Yannick", GuardianRelationship.FATHER, True, "06 39 98 10 04", ""),
        ("MORVAN", "Soizic", GuardianRelationship.MOTHER, False, "", "soizic.morvan@example.fr"),
    ]
    assert any("persons to contact only" in note for note in report.not_imported)
    assert any("CODE_SEXE" in note for note in report.not_imported)


def test_ids_as_attributes_or_elements_give_the_same_records(school):
    today = clock.today()
    by_attribute = siecle_xml.parse(export(school), "a.zip", today=today)
    by_element = siecle_xml.parse(export(school, ids_as="element"), "a.zip", today=today)
    assert by_attribute.records == by_element.records


def test_a_plain_xml_file_is_read_too(cpe, school):
    data = eleves_xml([chloe()], uaj=school.uai)
    report = run(cpe, data, filename="ElevesSansAdresses.xml")
    assert report.created == 1
    assert not Guardian.objects.exists()  # a pupils file alone says nothing about guardians
    assert "A pupils file alone" in " ".join(report.details)


def test_utf8_declared_file_and_old_format_version(cpe, school):
    data = eleves_xml([chloe()], uaj=school.uai, encoding="UTF-8", version="2.1")
    assert run(cpe, data, filename="eleves.xml").created == 1
    assert Pupil.objects.get().last_name == "CŒURDEVEY"
    report = run(cpe, b"\xef\xbb\xbf" + data, filename="eleves.xml")  # with a BOM
    assert (report.unchanged, report.encoding) == (1, "UTF-8 (BOM)")


def test_reimport_changes_nothing_and_dry_run_announces_the_import(cpe, school):
    data = export(school)
    before = db_snapshot()
    dry = run(cpe, data, dry_run=True)
    assert db_snapshot() == before

    real = run(cpe, data, expected_fingerprint=dry.fingerprint)
    assert real.outcome() == dry.outcome()

    pupils = list(Pupil.objects.order_by("pk").values())
    guardians = list(Guardian.objects.order_by("pk").values())
    again = run(cpe, data)
    assert (again.created, again.updated, again.unchanged, again.left) == (0, 0, 2, 0)
    assert list(Pupil.objects.order_by("pk").values()) == pupils
    assert list(Guardian.objects.order_by("pk").values()) == guardians


def test_pupils_file_alone_leaves_guardians_and_guardians_file_alone_updates_them(cpe, school):
    run(cpe, export(school))
    coeur = Pupil.objects.get(source_id="1001")
    factories.PupilFactory(school=school, source_id="9999")  # known, absent from the file

    pupils_only = export(school, responsables=False)
    report = run(cpe, pupils_only)
    assert (report.updated, report.unchanged) == (0, 2)
    assert coeur.guardians.count() == 2

    personnes = [*PERSONNES, Personne("2006", "DURAND", "Paul", tel_portable="06 39 98 10 09")]
    liens = [
        Lien("1001", "2006", "50", resp_legal="1"),  # a tutor replaces the former guardians
        Lien("1002", "2002", "20", niveau="1"),
        Lien("1002", "2003", "10", niveau="2"),
        Lien("7777", "2002", "20", niveau="1"),  # a pupil Alliance does not know
    ]
    guardians_only = responsables_xml(personnes, liens, uaj=school.uai)
    before = list(Pupil.objects.order_by("pk").values("pk", "left_on", "division_id"))

    report = run(cpe, guardians_only, filename="ResponsablesAvecAdresses.xml")

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert (report.left, report.skipped) == (0, 1)
    assert guardians_of(coeur) == [
        ("DURAND", "Paul", GuardianRelationship.GUARDIAN, True, "06 39 98 10 09", "")
    ]
    # No pupil is marked as having left nor moved by a guardians file.
    assert list(Pupil.objects.order_by("pk").values("pk", "left_on", "division_id")) == before


def test_leaving_dates_of_the_export(cpe, school):
    run(cpe, export(school))
    past = (clock.today() - dt.timedelta(days=3)).strftime("%d/%m/%Y")
    future = (clock.today() + dt.timedelta(days=30)).strftime("%d/%m/%Y")
    eleves = [
        chloe(sortie=past),  # left three days ago
        mael(sortie=future),  # leaving soon: still here
        Eleve("1003", "NGUYEN", "Hugo", "24/12/2012", structures=[("6 A", "D")], sortie=past),
    ]

    report = run(cpe, export(school, eleves))

    assert (report.created, report.updated, report.unchanged, report.skipped) == (0, 1, 1, 1)
    assert report.updated_items[0].fields == ("left the school on",)
    assert Pupil.objects.get(source_id="1001").left_on == clock.today() - dt.timedelta(days=3)
    assert Pupil.objects.get(source_id="1002").left_on is None
    assert not Pupil.objects.filter(last_name="NGUYEN").exists()  # left before being known


def test_missing_pupils_are_marked_left_and_groups_are_never_divisions(cpe, school):
    run(cpe, export(school))
    eleves = [chloe(), mael(structures=[("3LATIN", "G")])]  # no division this time
    report = run(cpe, export(school, eleves))
    assert report.unchanged == 2
    assert Pupil.objects.get(source_id="1002").division.code == "_301P1"  # kept
    assert "1 pupils have no division" in " ".join(report.warnings)

    report = run(cpe, export(school, [chloe()]))
    assert report.left == 1
    assert Pupil.objects.get(source_id="1002").left_on == clock.today()


def test_pupils_addresses_and_nomenclature_are_not_imported(cpe, school):
    data = zip_bytes(
        {
            "ElevesAvecAdresses.xml": eleves_xml([chloe()], uaj=school.uai, with_addresses=True),
            "Nomenclature.xml": b'<?xml version="1.0" encoding="ISO-8859-15"?>\n'
            b'<BEE_NOMENCLATURES VERSION="3.1"><PARAMETRES/></BEE_NOMENCLATURES>\n',
        }
    )
    report = run(cpe, data)
    assert report.created == 1
    assert any("postal addresses" in note for note in report.not_imported)
    assert any("nomenclature" in note for note in report.not_imported)


# --------------------------------------------------------------------------- refusals


def assert_refused(actor, data, *fragments, filename="ExportXML.zip"):
    before = db_snapshot()
    for dry_run in (True, False):
        with pytest.raises(RosterError) as error:
            run(actor, data, filename=filename, dry_run=dry_run)
        for fragment in fragments:
            assert fragment in str(error.value)
    assert db_snapshot() == before
    return str(error.value)


def test_a_file_of_another_school_is_refused_and_changes_nothing(cpe, school, other_school):
    run(cpe, export(school))
    message = assert_refused(cpe, export(school, uaj=other_school.uai), other_school.uai)
    assert "not from this school" in message
    mixed = zip_bytes(
        {
            "ElevesSansAdresses.xml": eleves_xml([chloe()], uaj=school.uai),
            "ResponsablesAvecAdresses.xml": responsables_xml(
                PERSONNES, LIENS, uaj=other_school.uai
            ),
        }
    )
    assert_refused(cpe, mixed, "different schools")
    guardians = responsables_xml(PERSONNES, LIENS, uaj=other_school.uai)
    assert_refused(cpe, guardians, "not from this school", filename="ResponsablesAvecAdresses.xml")


def test_an_export_without_uaj_or_of_another_year_is_refused(cpe, school):
    assert_refused(cpe, export(school, uaj=""), "PARAMETRES/UAJ is missing")
    last_year = str(int(current_year_start()) - 1)
    assert_refused(cpe, export(school, year=last_year), f"starting in {last_year}")


def test_malformed_and_truncated_xml_are_refused_with_their_line(cpe, school):
    good = eleves_xml([chloe(), mael()], uaj=school.uai)
    mismatched = good.replace(b"</PRENOM>", b"</PRENOMS>", 1)
    message = assert_refused(cpe, mismatched, "malformed or truncated", filename="e.xml")
    assert "e.xml: line 6, column" in message
    truncated = good[: len(good) // 2]
    assert_refused(cpe, truncated, "malformed or truncated", filename="e.xml")
    assert_refused(cpe, zip_bytes({"e.xml": truncated}), "a.zip/e.xml", filename="a.zip")
    assert_refused(cpe, export(school)[:200], "cannot be opened")


def test_wrong_encoding_is_refused_with_its_position(cpe, school):
    latin = eleves_xml([chloe()], uaj=school.uai).replace(b"ISO-8859-15", b"UTF-8")
    message = assert_refused(cpe, latin, "not valid UTF-8", filename="e.xml")
    assert "line 6, column" in message
    unknown = eleves_xml([chloe()], uaj=school.uai).replace(b"ISO-8859-15", b"KLINGON")
    assert_refused(cpe, unknown, "KLINGON", filename="e.xml")


def test_entities_and_dtds_are_refused(cpe, school):
    bomb = (
        b'<?xml version="1.0"?>\n<!DOCTYPE BEE_ELEVES [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
        b"<BEE_ELEVES><PARAMETRES><UAJ>&b;</UAJ></PARAMETRES></BEE_ELEVES>\n"
    )
    assert_refused(cpe, bomb, "DTD", filename="e.xml")


def test_duplicate_ine_or_id_and_two_divisions_are_refused(cpe, school):
    twins = [chloe(), mael(ine="1234567890A")]
    message = assert_refused(cpe, export(school, twins), "ID_NATIONAL")
    assert (
        "ELEVE_ID 1002, ID_NATIONAL: the INE 1234567890A is also that of ELEVE_ID 1001" in message
    )
    assert_refused(cpe, export(school, [chloe(), chloe()]), "ELEVE_ID 1001 appears twice")
    two = [chloe(structures=[("6 A", "D"), ("6 B", "D")])]
    assert_refused(cpe, export(school, two), "two divisions")


def test_bad_values_are_located_by_id_and_tag(cpe, school):
    bad = [chloe(naissance="31/02/2013"), mael(ine="12AB", prenom="")]
    message = assert_refused(cpe, export(school, bad))
    assert "ELEVE_ID 1001, DATE_NAISS: “31/02/2013” is not a valid date" in message
    assert "ELEVE_ID 1002, ID_NATIONAL: “12AB” is not a valid INE" in message
    assert "ELEVE_ID 1002, PRENOM: a value is required." in message


def test_other_xml_and_oversized_zips_are_refused(cpe, school, monkeypatch):
    other = b'<?xml version="1.0"?>\n<BEE_NOMENCLATURES VERSION="3.1"/>\n'
    assert_refused(cpe, other, "only the nomenclature", filename="n.xml")
    assert_refused(cpe, b"<html><body/></html>", "not a SIECLE export", filename="x.xml")
    assert_refused(cpe, zip_bytes({"readme.txt": b"hello"}), "no XML file")
    monkeypatch.setattr(siecle_xml, "MAX_XML_SIZE", 1000)
    assert_refused(cpe, export(school), "too large once unzipped")


def test_history_keeps_counts_and_ids_not_names(cpe, school):
    liens = [*LIENS, Lien("1001", "2003", "99", niveau="1")]  # unknown link code
    data = zip_bytes(
        {
            "ElevesSansAdresses.xml": eleves_xml([chloe(), mael()], uaj=school.uai),
            "ResponsablesAvecAdresses.xml": responsables_xml(PERSONNES, liens, uaj=school.uai),
        }
    )
    report = run(cpe, data)
    history = RosterImport.objects.get()
    assert history == report.roster_import
    assert history.source_format == "siecle_xml"
    assert history.warnings == [
        "ELEVE_ID 1001, PERSONNE_ID 2003: unknown CODE_PARENTE “99”, recorded as “other”."
    ]
    stored = str(RosterImport.objects.values().get())
    for personal in ("CŒURDEVEY", "Chloé", "MORVAN", "1234567890A", "06 39 98"):
        assert personal not in stored

"""The official-documents boundary (charter art. 4b, issue 5 point 3, SECURITY item 7).

1. The import contract: the official side (``alliance.official``) imports nothing of the case
   side, even indirectly (import-linter), and the contract does catch an indirect import.
2. The official templates (``templates/official/``): each is rendered with case data carrying a
   marker and must not show it; the official renderer refuses case-side objects outright.
3. Every document Alliance generates (PDF, JSON export, iCalendar invitation, rules file)
   carries the internal marking, and every place in the code that produces a document is
   listed here, so a new kind of document fails this test until it is checked too.
"""

import io
import json
import re
import tomllib
import zipfile
from pathlib import Path

import icalendar
import pypdf
import pytest
from django.conf import settings
from django.template import engines
from django.test import override_settings
from django.urls import reverse
from importlinter.cli import lint_imports

from alliance.core import clock
from alliance.core.pdf import internal_marking
from alliance.official import (
    CASE_SIDE_MODULES,
    TEMPLATE_PREFIX,
    OfficialBoundaryError,
    check_official_context,
    official_render,
)
from tests import factories
from tests.conftest import login
from tests.test_access_matrix import _gpds, world  # noqa: F401 (the matrix's two schools)

ROOT = Path(settings.BASE_DIR)
PYPROJECT = ROOT / "pyproject.toml"
MARKER = "ZXQ-PARCOURS-ART4B"


# --------------------------------------------------------------------------- 1. imports


def test_the_official_side_imports_nothing_of_the_case_side():
    assert lint_imports(config_filename=str(PYPROJECT), no_cache=True) == 0


def test_the_import_contract_lists_exactly_the_case_side():
    config = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]
    [contract] = [c for c in config["contracts"] if c["id"] == "official-boundary"]
    assert contract["source_modules"] == ["alliance.official"]
    assert sorted(contract["forbidden_modules"]) == sorted(CASE_SIDE_MODULES)


def test_the_contract_catches_an_indirect_import(tmp_path, monkeypatch):
    """The same contract on a small package whose official module reaches cases through a helper."""
    package = tmp_path / "probe_art4b"
    (package / "official").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "cases.py").write_text("REASON = 'x'\n")
    (package / "helpers.py").write_text("from probe_art4b import cases  # noqa\n")
    (package / "official" / "__init__.py").write_text("from probe_art4b import helpers  # noqa\n")
    config = tmp_path / "probe.toml"
    config.write_text(
        "[tool.importlinter]\nroot_package = 'probe_art4b'\n"
        "[[tool.importlinter.contracts]]\nname = 'probe'\ntype = 'forbidden'\n"
        "source_modules = ['probe_art4b.official']\nforbidden_modules = ['probe_art4b.cases']\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert lint_imports(config_filename=str(config), no_cache=True) == 1
    (package / "helpers.py").write_text("VALUE = 1\n")
    assert lint_imports(config_filename=str(config), no_cache=True) == 0


# --------------------------------------------------------------------------- 2. templates


def _template_dirs() -> list[Path]:
    dirs = [Path(d) for engine in settings.TEMPLATES for d in engine.get("DIRS", [])]
    dirs += sorted((ROOT / "alliance").glob("*/templates"))
    return [d for d in dirs if d.is_dir()]


def all_templates() -> list[str]:
    names = set()
    for base in _template_dirs():
        for path in base.rglob("*"):
            if path.is_file() and path.suffix in {".html", ".txt", ".csv", ".xml", ".md"}:
                names.add(path.relative_to(base).as_posix())
    return sorted(names)


def official_templates() -> list[str]:
    return [name for name in all_templates() if name.startswith(TEMPLATE_PREFIX)]


class _Anything(str):
    """A value that answers any attribute, key or loop with the marker (tolerates any template)."""

    def __new__(cls, text: str = MARKER) -> "_Anything":
        return super().__new__(cls, text)

    def __getattr__(self, name: str) -> "_Anything":
        if name.startswith("__"):
            raise AttributeError(name)
        return _Anything()

    def __getitem__(self, key: object) -> "_Anything":  # type: ignore[override]
        return _Anything()

    def __iter__(self):  # type: ignore[override]
        return iter([_Anything()])


#: What a careless official template could be handed: every name of the case side.
CASE_CONTEXT = {
    name: _Anything()
    for name in (
        "case",
        "cases",
        "referral",
        "note",
        "notes",
        "plan",
        "action",
        "actions",
        "review",
        "meeting",
        "item",
        "minutes",
        "observations",
        "alerts",
        "watchlist",
        "agreement",
        "situation",
        "signs",
        "events",
    )
}


def render_with_case_data(template_name: str) -> str:
    """Render like ``official_render`` would, the case names filled with the marker."""
    with override_settings(TEMPLATES=_lenient_templates()):
        engine = engines["django"]
        return engine.get_template(template_name).render({**CASE_CONTEXT, "pupil": "Élève"})


def _lenient_templates(dirs: list[Path] | None = None) -> list[dict]:
    lenient = []
    for engine in settings.TEMPLATES:
        engine = {**engine, "OPTIONS": {**engine.get("OPTIONS", {}), "string_if_invalid": ""}}
        if dirs:
            engine["DIRS"] = [*map(str, dirs), *engine.get("DIRS", [])]
        lenient.append(engine)
    return lenient


def test_the_template_walk_finds_the_projects_templates():
    names = all_templates()
    assert "privacy/access_export.html" in names
    assert len(names) > 20


@pytest.mark.parametrize("template_name", official_templates() or ["(none yet)"])
def test_no_official_template_shows_case_data(template_name):
    if template_name == "(none yet)":
        # Alliance writes nothing for official records today (decision 0015); the walk above
        # proves the test would see one the day it is added under templates/official/.
        assert official_templates() == []
        return
    assert MARKER not in render_with_case_data(template_name)
    assert internal_marking() not in render_with_case_data(template_name)


def test_the_template_check_catches_an_official_template_that_reads_a_case(tmp_path):
    official = tmp_path / "official"
    official.mkdir()
    (official / "careless.html").write_text("{{ pupil }} — {{ case.reason }}")
    (official / "careful.html").write_text("{{ pupil }} — {{ division }}")
    with override_settings(TEMPLATES=_lenient_templates([tmp_path])):
        engine = engines["django"]
        context = {**CASE_CONTEXT, "pupil": "Élève"}
        assert MARKER in engine.get_template("official/careless.html").render(context)
        assert MARKER not in engine.get_template("official/careful.html").render(context)


def test_the_official_renderer_refuses_case_side_objects(world, tmp_path):  # noqa: F811
    case = world.case
    with pytest.raises(OfficialBoundaryError, match="cases"):
        check_official_context({"case": case})
    with pytest.raises(OfficialBoundaryError, match="case data"):
        check_official_context({"rows": [{"nested": case}]})
    with pytest.raises(OfficialBoundaryError):
        check_official_context({"notes": case.notes.all()})
    check_official_context({"pupil": world.pupil, "school": world.school, "n": 3})
    with pytest.raises(OfficialBoundaryError, match="not an official template"):
        official_render("www/base.html", {"pupil": world.pupil})
    official = tmp_path / "official"
    official.mkdir()
    (official / "list.txt").write_text("{{ pupil.last_name }}")
    with override_settings(TEMPLATES=_lenient_templates([tmp_path])):
        assert official_render("official/list.txt", {"pupil": world.pupil}) == "Belkacem"
        with pytest.raises(OfficialBoundaryError):
            official_render("official/list.txt", {"pupil": world.pupil, "case": case})


# --------------------------------------------------------------------------- 3. the marking


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_pages(content: bytes) -> list[str]:
    return [_flat(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(content)).pages]


def assert_marked_pdf(content: bytes) -> None:
    pages = pdf_pages(content)
    assert pages
    for number, page in enumerate(pages, start=1):
        assert internal_marking() in page, f"page {number} lacks the internal marking"


#: Every place in the code that produces a document, and the test below that checks it.
DOCUMENT_PRODUCERS = {
    "alliance/www/meeting_views.py": "minutes PDF",
    "alliance/www/agreement_views.py": "agreement PDF",
    "alliance/www/privacy_views.py": "right-of-access ZIP (JSON + PDF)",
    "alliance/privacy/access_export.py": "right-of-access ZIP (JSON + PDF)",
    "alliance/meetings/invitations.py": "iCalendar invitation",
    "alliance/www/detection_settings_views.py": "rules file (TOML)",
    "alliance/detection/backtest/report.py": "backtest report (aggregates only, marked)",
}
_PRODUCING = re.compile(
    r"render_pdf\(|Content-Disposition|FileResponse\(|\.attach\(|text/csv|content_type=\"application/"
)


def test_every_document_producer_is_listed():
    producers = set()
    for path in (ROOT / "alliance").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative or relative == "alliance/core/pdf.py":
            continue
        if _PRODUCING.search(path.read_text()):
            producers.add(relative)
    assert all((ROOT / listed).is_file() for listed in DOCUMENT_PRODUCERS)
    unlisted = producers - set(DOCUMENT_PRODUCERS)
    assert not unlisted, (
        f"new document producer(s) {sorted(unlisted)}: make them carry internal_marking() and "
        "add them to DOCUMENT_PRODUCERS with a check below"
    )


def test_every_generated_document_carries_the_internal_marking(client, world):  # noqa: F811
    head = world.members["head"]
    login(client, head)
    gpds = _gpds(world)

    minutes = client.get(
        reverse("meeting_minutes_pdf", kwargs={"public_id": gpds["held"].public_id})
    )
    assert minutes.status_code == 200 and minutes["Content-Type"] == "application/pdf"
    assert_marked_pdf(minutes.content)

    export = client.get(reverse("pupil_access_export", kwargs={"public_id": world.pupil.public_id}))
    assert export.status_code == 200
    with zipfile.ZipFile(io.BytesIO(export.content)) as archive:
        names = archive.namelist()
        [json_name] = [n for n in names if n.endswith(".json")]
        [pdf_name] = [n for n in names if n.endswith(".pdf")]
        assert json.loads(archive.read(json_name))["marking"] == internal_marking()
        assert_marked_pdf(archive.read(pdf_name))

    from alliance.meetings.invitations import ICS_FILENAME, invitation_message

    message = invitation_message(gpds["coming"], world.members["cpe"], agenda_count=1)
    assert internal_marking() in message.body
    [(filename, ics, _mimetype)] = message.attachments
    assert filename == ICS_FILENAME
    [event] = icalendar.Calendar.from_ical(ics).walk("VEVENT")
    assert internal_marking() in str(event["DESCRIPTION"])

    rules = client.get(reverse("detection_rules_export"))
    assert rules.status_code == 200
    assert rules.content.decode().splitlines()[0] == f"# {internal_marking()}"
    tomllib.loads(rules.content.decode())  # still a valid rules file


def test_the_agreement_pdf_carries_the_internal_marking(client, head):
    from alliance.partners.models import PartnerRegistration
    from tests.agreements.test_agreements import approve, draft

    organisation = factories.PartnerOrganisationFactory(name="Mission locale du Val")
    PartnerRegistration.objects.create(
        school=head.school, organisation=organisation, registered_at=clock.now()
    )
    agreement = approve(head, draft(head, organisation))
    login(client, head)
    response = client.get(reverse("agreement_pdf", kwargs={"public_id": agreement.public_id}))
    assert response.status_code == 200
    assert_marked_pdf(response.content)

"""Right of access (issue 5, point 5; SECURITY.md item 18): everything about ONE pupil.

The head exports, for a family's request, every row of every table linked to the pupil, as
a machine-readable JSON bundle and a PDF a family can read (in French, marked internal).

How the tables are found: ``linked_models()`` walks the reverse relations from ``Pupil``
(foreign keys and one-to-one fields pointing at the pupil, then at those rows, and so on),
so a new table linked to a pupil, a case, a plan… is found by itself. Each table found must
have a decision in ``POLICIES`` (exported, or left out with a reason); the export refuses to
run while one has none (``UncoveredModelError``), and ``tests/privacy/test_access_export.py``
fails first. Rows are selected by their path to the pupil, never by anything else, so another
pupil's rows cannot enter; references to another linked row are written only when that row
is itself in the export (a meeting's other agenda items never are).

What is left out, deliberately:
- notes under professional secrecy (audience "my profession" or "only me", or written by a
  secrecy-bound professional), unless their author released them
  (``note_release_for_access_request``); summary items, published to the team by the
  professional, are included;
- integer primary keys and the school's own keys (``school``), which say nothing about the
  pupil; staff appear by name and profession, which the family is entitled to know.

The audit trail has no foreign keys (it must outlive what it names): its events about the
pupil are those whose object is one of the exported rows (who read the record, and when).
The export is itself audited (action "export") before the bundle is built, so it lists
itself.
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_record
from alliance.cases.models import CaseNote, NoteAudience
from alliance.core import clock
from alliance.core.pdf import internal_marking, render_pdf
from alliance.people.models import User
from alliance.privacy.models import NoteRelease
from alliance.pupils.models import Pupil
from alliance.tenancy.models import SECRECY_BOUND_PROFESSIONS, Membership, Profession, Role

#: The bundle's format. Raise it when a key changes meaning or disappears.
SCHEMA_VERSION = 1

#: How deep the walk from the pupil goes (pupil → case → plan → action → goal → assessment).
MAX_DEPTH = 6


class UncoveredModelError(RuntimeError):
    """A table linked to the pupil has no decision in ``POLICIES``: nothing is exported."""


# --------------------------------------------------------------------------- the walk


def _reverse_links(model: type[models.Model]) -> Iterable[models.ForeignKey]:
    """The foreign keys (and one-to-ones) of other tables that point at ``model``."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        if not (rel.one_to_many or rel.one_to_one):
            continue
        remote = rel.remote_field  # the ForeignKey on the other model
        if isinstance(remote, models.ForeignKey) and not remote.model._meta.abstract:
            yield remote


def linked_models() -> dict[str, list[str]]:
    """Every table linked to a pupil, with its lookup paths to the pupil ("case__pupil").

    Found by walking reverse relations from ``Pupil``; a path never visits a table twice.
    """
    paths: dict[str, list[str]] = {Pupil._meta.label_lower: [""]}

    def walk(model: type[models.Model], path: str, seen: tuple[str, ...]) -> None:
        if len(seen) > MAX_DEPTH:
            return
        for fk in _reverse_links(model):
            child = fk.model
            label = child._meta.label_lower
            if label in seen:
                continue
            child_path = f"{fk.name}__{path}" if path else fk.name
            paths.setdefault(label, [])
            if child_path not in paths[label]:
                paths[label].append(child_path)
            walk(child, child_path, (*seen, label))

    walk(Pupil, "", (Pupil._meta.label_lower,))
    return paths


def model_of(label: str) -> type[models.Model]:
    return apps.get_model(label)


# --------------------------------------------------------------------------- the policies


@dataclass(frozen=True)
class Policy:
    """The decision for one linked table: exported (optionally narrowed), or left out."""

    export: bool = True
    reason: str = ""
    #: Narrows the rows (the secrecy rule for notes).
    narrow: Callable[[QuerySet[Any], Pupil], QuerySet[Any]] | None = None
    #: Fields never written (besides ``id`` and ``school``).
    omit: frozenset[str] = field(default_factory=frozenset)


def _shareable_notes(notes: QuerySet[Any], pupil: Pupil) -> QuerySet[Any]:
    """Notes outside professional secrecy, summary items, and notes their author released."""
    secret = (
        Q(audience__in=[NoteAudience.PROFESSION, NoteAudience.AUTHOR_ONLY])
        | Q(author_profession__in=SECRECY_BOUND_PROFESSIONS)
        | Q(author__profession__in=SECRECY_BOUND_PROFESSIONS)
    )
    summary = Q(is_summary_item=True) & Q(
        audience__in=[NoteAudience.TEAM, NoteAudience.SCHOOL_STAFF_ON_TEAM]
    )
    released = Q(access_release__isnull=False)
    return notes.filter(~secret | summary | released)


#: One decision per table linked to a pupil (``linked_models()``). A new table is refused
#: until it is added here (exported, or left out with a reason).
POLICIES: dict[str, Policy] = {
    "pupils.pupil": Policy(),
    "pupils.guardian": Policy(),
    "cases.case": Policy(),
    "cases.casereferral": Policy(),
    "cases.casesign": Policy(),
    "cases.caseteammember": Policy(),
    "cases.familycontact": Policy(),
    "cases.familycontactexception": Policy(),
    "cases.familyinvolvement": Policy(),
    "cases.casenote": Policy(narrow=_shareable_notes),
    "cases.caseevent": Policy(),
    "meetings.agendaitem": Policy(),
    "plans.actionplan": Policy(),
    "plans.planaction": Policy(),
    "plans.actiongoal": Policy(),
    "plans.planreview": Policy(),
    "plans.goalassessment": Policy(),
    "plans.reviewactiondecision": Policy(),
    "plans.planagreement": Policy(),
    "detection.absence": Policy(omit=frozenset({"source_key"})),
    "detection.lateness": Policy(omit=frozenset({"source_key"})),
    "detection.sanction": Policy(omit=frozenset({"source_key"})),
    "detection.mark": Policy(omit=frozenset({"source_key"})),
    "detection.periodcount": Policy(omit=frozenset({"source_key"})),
    "detection.observation": Policy(),
    # Only rows of released notes exist; the release is shown with the note it released.
    "privacy.noterelease": Policy(),
    # The partner–pupil–parents agreements the family signed, and their signatures.
    "agreements.agreement": Policy(),
    "agreements.agreementsignature": Policy(),
    # Retention (decision 0015): the case itself is exported with every row; its archive row
    # only says when the schedule (published in the register) applies to it.
    "privacy.casearchive": Policy(
        export=False, reason="retention metadata: the published schedule applied to the case"
    ),
}

#: The order of the sections, the family's reading order; tables not named come after.
SECTION_ORDER = list(POLICIES)


def uncovered_models() -> list[str]:
    """Tables linked to a pupil that have no decision in ``POLICIES``."""
    return sorted(label for label in linked_models() if label not in POLICIES)


# --------------------------------------------------------------------------- the release


@transaction.atomic
def note_release_for_access_request(*, note: CaseNote, actor: Membership) -> NoteRelease:
    """The author releases one of their notes for the family's right of access (audited).

    Only the author may: professional secrecy is theirs to lift, not the head's.
    """
    if note.author_id != actor.pk:
        raise PermissionDenied
    existing = NoteRelease.objects.filter(note=note).first()
    if existing is not None:
        return existing
    if note.school_id != actor.school_id:  # pragma: no cover - the author is of the school
        raise ValidationError(_("This note is not of your school."))
    release = NoteRelease.objects.create(
        school_id=note.school_id, note=note, released_by=actor, released_at=clock.now()
    )
    audit_record(action="update", target=note, membership=actor)
    audit_record(action="create", target=release, membership=actor)
    return release


# --------------------------------------------------------------------------- the bundle


def _staff(membership: Membership | None) -> dict[str, str] | None:
    if membership is None:
        return None
    return {
        "name": membership.user.get_full_name() or _("(name not given)"),
        "profession": str(membership.get_profession_display()),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).isoformat() if timezone.is_aware(value) else value.isoformat()
        )
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


#: French titles for the fields whose verbose name is only their code name (the PDF is French).
FIELD_TITLES = {
    "created_at": "Enregistré le",
    "updated_at": "Modifié le",
    "pupil": "Élève",
    "case": "Situation",
    "plan": "Plan d'action",
    "action": "Action",
    "goal": "Objectif",
    "review": "Évaluation du plan",
    "note": "Note",
    "referral": "Saisine",
    "guardian": "Responsable légal",
    "meeting": "Réunion GPDS",
    "membership": "Membre",
    "author": "Auteur",
    "author_profession": "Profession de l'auteur",
    "actor": "Fait par",
    "subject": "Personne concernée",
    "kind": "Nature",
    "detail": "Détail",
    "from_status": "Statut précédent",
    "to_status": "Nouveau statut",
    "occurred_at": "Date",
    "related_public_id": "Identifiant de l'objet lié",
    "source_alert_public_id": "Identifiant de l'alerte d'origine",
    "referred_by": "Saisie par",
    "recorded_by": "Enregistré par",
    "added_by": "Ajouté par",
    "removed_by": "Retiré par",
    "requested_by": "Demandée par",
    "approved_by": "Approuvée par",
    "created_by": "Créé par",
    "opened_by": "Ouverte par",
    "completed_by": "Terminée par",
    "released_by": "Communiquée par",
    "released_at": "Communiquée le",
    "is_initial": "Saisine initiale",
    "catalogue_entry": "Signe de la grille",
    "added_in_review": "Ajoutée lors de l'évaluation",
    "event_import": "Import d'origine",
    "plan_version": "Version du plan",
    "position": "Ordre",
    "version": "Version",
}

#: French titles of the sections whose model has no French name yet.
SECTION_TITLES = {"privacy.noterelease": "Notes communiquées par leur auteur"}


def _field_title(f: models.Field[Any, Any]) -> str:
    title = str(f.verbose_name)
    if title == f.name.replace("_", " ") and f.name in FIELD_TITLES:
        return FIELD_TITLES[f.name]
    return title


@dataclass
class _Row:
    """One exported row: its machine values, and its French labels and texts for the PDF."""

    data: dict[str, Any]
    shown: list[tuple[str, str]]


class _Exporter:
    def __init__(self, pupil: Pupil) -> None:
        self.pupil = pupil
        self.rows: dict[str, list[models.Model]] = {}
        self.ids: dict[str, set[int]] = {}
        self.linked: dict[str, list[str]] = {}

    def select(self) -> None:
        uncovered = uncovered_models()
        if uncovered:
            raise UncoveredModelError(", ".join(uncovered))
        self.linked = linked_models()
        for label, paths in self.linked.items():
            policy = POLICIES[label]
            if not policy.export:
                continue
            model = model_of(label)
            if not paths or paths == [""]:
                query = Q(pk=self.pupil.pk)
            else:
                query = Q()
                for path in paths:
                    query |= Q(**{path: self.pupil})
            rows = model._default_manager.filter(query).distinct()
            if policy.narrow is not None:
                rows = policy.narrow(rows, self.pupil)
            self.rows[label] = list(rows.order_by("pk"))
            self.ids[label] = {row.pk for row in self.rows[label]}
        # A released note's release is exported only with the note itself.
        notes = self.ids.get("cases.casenote", set())
        if "privacy.noterelease" in self.rows:
            self.rows["privacy.noterelease"] = [
                r for r in self.rows["privacy.noterelease"] if getattr(r, "note_id", None) in notes
            ]
            self.ids["privacy.noterelease"] = {r.pk for r in self.rows["privacy.noterelease"]}

    def _reference(self, row: models.Model, fk: models.ForeignKey) -> tuple[Any, str]:
        """The value written for a foreign key: a staff member, a linked row's id, a label."""
        target_id = getattr(row, fk.attname)
        if target_id is None:
            return None, "—"
        target = fk.related_model
        label = target._meta.label_lower
        if target is Membership:
            staff = _staff(getattr(row, fk.name))
            assert staff is not None
            return staff, f"{staff['name']} ({staff['profession']})"
        if label in self.ids:
            # Linked to a pupil: written only if it is one of this pupil's exported rows.
            if target_id not in self.ids[label]:
                return None, "—"
            obj = getattr(row, fk.name)
            public_id = getattr(obj, "public_id", None)
            return (str(public_id) if public_id else None), self._short(obj)
        if label in self.linked:  # a linked table left out (never another pupil's row)
            return None, "—"
        obj = getattr(row, fk.name)
        if label == "meetings.meeting":
            return str(obj.public_id), timezone.localtime(obj.starts_at).strftime("%d/%m/%Y %H:%M")
        return str(obj), str(obj)

    def _short(self, obj: models.Model) -> str:
        if isinstance(obj, Pupil):
            return obj.full_name
        if obj._meta.label_lower == "pupils.guardian":
            return str(obj)
        return f"{obj._meta.verbose_name} {str(getattr(obj, 'public_id', ''))[:8]}".strip()

    def serialise(self, label: str, row: models.Model) -> _Row:
        policy = POLICIES[label]
        data: dict[str, Any] = {}
        shown: list[tuple[str, str]] = []
        for f in row._meta.concrete_fields:
            if f.name in {"id", "school"} or f.name in policy.omit or f.primary_key:
                continue
            title = _field_title(f)
            if isinstance(f, models.ForeignKey):
                value, text = self._reference(row, f)
                data[f.name] = value
                shown.append((title, text))
                continue
            value = getattr(row, f.attname)
            data[f.name] = _plain(value)
            if f.name == "public_id":
                continue
            if f.name == "author_profession" and value:
                text = str(Profession(value).label) if value in Profession.values else str(value)
            elif f.choices:
                text = (
                    str(getattr(row, f"get_{f.name}_display")()) if value not in (None, "") else "—"
                )
            elif isinstance(value, bool):
                text = _("Yes") if value else _("No")
            elif isinstance(value, dt.datetime):
                text = timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
            elif isinstance(value, dt.date):
                text = value.strftime("%d/%m/%Y")
            elif value in (None, "", [], {}):
                text = "—"
            else:
                text = str(value)
            shown.append((title, text))
        if label == "meetings.agendaitem":
            meeting = row.meeting  # type: ignore[attr-defined]
            data["meeting_detail"] = self._meeting(meeting)
            shown.insert(
                0,
                (
                    "Réunion GPDS",
                    "{when}, {place} — {who}".format(
                        when=timezone.localtime(meeting.starts_at).strftime("%d/%m/%Y %H:%M"),
                        place=meeting.place,
                        who=", ".join(
                            f"{p['name']} ({p['profession']}, {p['attendance']})"
                            for p in data["meeting_detail"]["participants"]
                        ),
                    ),
                ),
            )
        return _Row(data=data, shown=shown)

    def _meeting(self, meeting: models.Model) -> dict[str, Any]:
        """The meeting of one of the pupil's agenda items: when, where, who. No other item."""
        participants = []
        for p in meeting.participants.select_related("membership__user").order_by("pk"):  # type: ignore[attr-defined]
            staff = _staff(p.membership)
            assert staff is not None
            participants.append({**staff, "attendance": str(p.get_attendance_display())})
        return {
            "public_id": str(meeting.public_id),  # type: ignore[attr-defined]
            "starts_at": _plain(meeting.starts_at),  # type: ignore[attr-defined]
            "place": meeting.place,  # type: ignore[attr-defined]
            "status": meeting.status,  # type: ignore[attr-defined]
            "convened_by": _staff(meeting.convened_by),  # type: ignore[attr-defined]
            "participants": participants,
        }

    def audit_events(self) -> list[dict[str, Any]]:
        """Who read or changed the pupil's rows, and when (objects of the exported rows only)."""
        public_ids = [str(self.pupil.public_id)]
        for rows in self.rows.values():
            public_ids += [str(r.public_id) for r in rows if getattr(r, "public_id", None)]  # type: ignore[attr-defined]
        events = AuditEvent.objects.filter(object_public_id__in=public_ids).order_by("sequence")
        users = {
            u.pk: u
            for u in User.objects.filter(
                pk__in={e.actor_user_id for e in events if e.actor_user_id}
            )
        }
        memberships = {
            m.pk: m
            for m in Membership.objects.filter(
                pk__in={e.actor_membership_id for e in events if e.actor_membership_id}
            )
        }
        out = []
        for e in events:
            user = users.get(e.actor_user_id or 0)
            membership = memberships.get(e.actor_membership_id or 0)
            out.append(
                {
                    "occurred_at": _plain(e.occurred_at),
                    "action": e.action,
                    "action_label": str(e.get_action_display()),
                    "object_type": e.object_type,
                    "object_public_id": e.object_public_id,
                    "actor": (user.get_full_name() or _("(name not given)")) if user else None,
                    "actor_profession": str(membership.get_profession_display())
                    if membership
                    else None,
                }
            )
        return out


def _event_shown(event: dict[str, Any]) -> dict[str, Any]:
    """An audit event as the PDF shows it: a French date, the kind of record in words."""
    when = dt.datetime.fromisoformat(event["occurred_at"]).strftime("%d/%m/%Y %H:%M")
    try:
        what = str(apps.get_model(event["object_type"])._meta.verbose_name)
    except (LookupError, ValueError):
        what = event["object_type"]
    return {**event, "when": when, "what": what}


@dataclass
class AccessExport:
    """The export of one pupil: the JSON bundle and the PDF, and the name of each file."""

    bundle: dict[str, Any]
    pdf: bytes
    basename: str

    def json_bytes(self) -> bytes:
        return json.dumps(self.bundle, ensure_ascii=False, indent=2, sort_keys=False).encode()

    def zip_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(f"{self.basename}.json", self.json_bytes())
            archive.writestr(f"{self.basename}.pdf", self.pdf)
        return buffer.getvalue()


def may_export(membership: Membership | None, pupil: Pupil) -> bool:
    """The head of the pupil's school, in force: the right of access is answered by the school."""
    return (
        membership is not None
        and membership.role == Role.HEAD
        and membership.school_id == pupil.school_id
        and membership.is_live()
    )


def pupil_access_export(*, actor: Membership, pupil: Pupil) -> AccessExport:
    """Export everything about ``pupil`` for a right-of-access request; audited ("export")."""
    if not may_export(actor, pupil):
        raise PermissionDenied
    with transaction.atomic():
        audit_record(action="export", target=pupil, membership=actor)
        exporter = _Exporter(pupil)
        exporter.select()
        with translation.override("fr"):
            sections = []
            tables: dict[str, list[dict[str, Any]]] = {}
            for label in SECTION_ORDER + sorted(set(exporter.rows) - set(SECTION_ORDER)):
                if label not in exporter.rows:
                    continue
                model = model_of(label)
                rows = [exporter.serialise(label, r) for r in exporter.rows[label]]
                tables[label] = [r.data for r in rows]
                sections.append(
                    {
                        "label": label,
                        "title": SECTION_TITLES.get(
                            label, str(model._meta.verbose_name_plural).capitalize()
                        ),
                        "rows": [r.shown for r in rows],
                    }
                )
            events = exporter.audit_events()
            exported_at = clock.now()
            bundle: dict[str, Any] = {
                "schema": "alliance.right-of-access",
                "schema_version": SCHEMA_VERSION,
                "marking": internal_marking(),
                "exported_at": _plain(exported_at),
                "exported_by": _staff(actor),
                "school": actor.school.name,
                "pupil_public_id": str(pupil.public_id),
                "withheld": (
                    "Les notes couvertes par le secret professionnel ne figurent pas dans cet "
                    "export, sauf si leur auteur les a communiquées."
                ),
                "tables": tables,
                "audit_events": events,
            }
            html = render_to_string(
                "privacy/access_export.html",
                {
                    "pupil": pupil,
                    "school": actor.school,
                    "exported_at": timezone.localtime(exported_at),
                    "exported_by": bundle["exported_by"],
                    "sections": sections,
                    "events": [_event_shown(e) for e in events],
                    "marking": internal_marking(),
                    "schema_version": SCHEMA_VERSION,
                },
            )
            pdf = render_pdf(html)
    basename = f"droit-acces-{exported_at.date().isoformat()}-{str(pupil.public_id)[:8]}"
    return AccessExport(bundle=bundle, pdf=pdf, basename=basename)

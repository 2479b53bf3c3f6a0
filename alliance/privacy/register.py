"""The data classification register (issue 5 point 7): every field of every Alliance model.

One entry per model (``app_label.ModelName``), one per field, each with its class, whether it
is personal data, and why it is kept. The register is the base of the DPIA and of the record
of processing activities; ``manage.py privacy_register`` publishes it as
``docs/privacy/data-register.md`` and ``tests/privacy/test_register.py`` fails on any field
of an ``alliance.*`` app that is missing here, and on any entry whose field is gone.

Rules (docs/decisions/0011-data-classification-register.md):

- A column is classified at the most sensitive thing it may hold (a note body that is only
  sometimes secret is ``secret_by_profession``).
- A field is *personal data* when its value, read with its row, relates to an identified or
  identifiable person (GDPR art. 4(1)): a pupil, a guardian, a member. Keys and timestamps of
  a person's row count (pseudonymous identifiers are personal data); version counters and the
  school's own configuration do not.
- Anything that reveals that a pupil has a situation (case) is at least ``confidential``: the
  fact of a parcours is itself protected (charter art. 4b).

Plain data, no Django import: the test and the command read it once apps are loaded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Level(StrEnum):
    """The four classes, from the least to the most protected."""

    PUBLIC = "public"
    INTERNAL = "internal"
    CONFIDENTIAL = "confidential"
    SECRET_BY_PROFESSION = "secret_by_profession"  # noqa: S105 (a class name, not a password)


#: What each class means, as published in the register.
LEVEL_MEANINGS: Mapping[Level, str] = {
    Level.PUBLIC: (
        "May be published: the school's identity, partner organisations' public identity, the "
        "charter's text. No harm if disclosed."
    ),
    Level.INTERNAL: (
        "For the school's members and the operators: keys, timestamps, configuration, import "
        "history, the audit chain, members' professional identity. Disclosure would be a minor "
        "harm; never shown to families or outside the deployment."
    ),
    Level.CONFIDENTIAL: (
        "Need-to-know only: pupils' and guardians' identity and contacts, imported school-life "
        "data (absences, marks, sanctions), everything about a situation (its very existence is "
        "protected, charter art. 4b), credentials and session data. Read through the visibility "
        "selectors; every read of a case is audited."
    ),
    Level.SECRET_BY_PROFESSION: (
        "Covered by a profession's secrecy (health, social work, psychology): read only by the "
        "holder's profession or the author; shared only by the holder's choice (a published "
        "summary item); stored only with certified health-data hosting (HDS); encrypted at rest "
        "under the school's key (alliance.vault, decision 0016); left out of the rights-of-access export unless released."
    ),
}

#: The professions whose secrecy ``secret_by_profession`` fields hold (values of
#: ``tenancy.Profession``; the test checks they are ``SECRECY_BOUND_PROFESSIONS``).
SECRECY_PROFESSIONS: tuple[str, ...] = ("psyen", "nurse", "social_worker", "doctor")

#: How the published register names them.
SECRECY_PROFESSION_NAMES: Mapping[str, str] = {
    "psyen": "school psychologist (PsyEN)",
    "nurse": "school nurse",
    "social_worker": "social worker",
    "doctor": "school doctor",
}


@dataclass(frozen=True)
class FieldEntry:
    level: Level
    personal: bool
    purpose: str
    #: For ``secret_by_profession`` only: whose secret the field holds.
    professions: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableEntry:
    purpose: str
    fields: Mapping[str, FieldEntry]
    #: The retention rule and who applies it: filled by issue 5 point 4 (retention schedule).
    retention: str = ""
    #: A table of a third-party app, registered because it holds personal data.
    third_party: bool = False
    #: The Django app the model belongs to (its ``AppConfig.name``), for the published tables.
    app: str = ""


def public(purpose: str, *, personal: bool = False) -> FieldEntry:
    return FieldEntry(Level.PUBLIC, personal, purpose)


def internal(purpose: str, *, personal: bool = False) -> FieldEntry:
    return FieldEntry(Level.INTERNAL, personal, purpose)


def confidential(purpose: str, *, personal: bool = True) -> FieldEntry:
    return FieldEntry(Level.CONFIDENTIAL, personal, purpose)


def secret(purpose: str, *, professions: tuple[str, ...] = SECRECY_PROFESSIONS) -> FieldEntry:
    return FieldEntry(Level.SECRET_BY_PROFESSION, True, purpose, professions)


# --------------------------------------------------------------------------- recurring fields

_ROW_KEY = "Row key; never leaves the server."
_PUBLIC_ID = "Random public identifier used in URLs, exports and the audit trail."
_CREATED = "When the row was created."
_UPDATED = "When the row was last changed."
_TENANT = "Tenant key: the school the row belongs to."
_VERSION = "Optimistic-lock counter (a stale form gets a conflict)."
_POSITION = "Display order."
_ACTOR = "The member who did it (accountability)."


def _keys(
    *, personal: bool, public_id: bool = True, timestamps: bool = True
) -> dict[str, FieldEntry]:
    """The row key, public id, timestamps and tenant key, all ``internal``."""
    entries = {"id": internal(_ROW_KEY, personal=personal)}
    if public_id:
        entries["public_id"] = internal(_PUBLIC_ID, personal=personal)
    if timestamps:
        entries["created_at"] = internal(_CREATED, personal=personal)
        entries["updated_at"] = internal(_UPDATED, personal=personal)
    return entries


def _school(*, personal: bool) -> dict[str, FieldEntry]:
    return {"school": internal(_TENANT, personal=personal)}


_CASE_FK = confidential("The situation this row belongs to (reveals that the pupil has one).")


def _encrypted(description: str) -> str:
    """A free text about the pupil's situation, stored only as ciphertext (decision 0016)."""
    return f"{description} Encrypted at rest under the school's key (decision 0016)."


# --------------------------------------------------------------------------- the register

REGISTER: dict[str, TableEntry] = {
    # ----------------------------------------------------------------------------- people
    "people.User": TableEntry(
        app="alliance.people",
        purpose=(
            "A person who logs in: school staff, partner professionals and volunteers, académie "
            "officers, technical administrators. Pupils and families have no account."
        ),
        fields={
            "id": internal("Row key of the account; never leaves the server.", personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            "password": confidential(
                "Password hash (Argon2): a credential, never shown, exported or logged."
            ),
            "last_login": internal("Last successful login (security monitoring).", personal=True),
            "is_superuser": internal(
                "Django superuser flag; gives no access to pupils (every read goes through a "
                "membership).",
                personal=True,
            ),
            "username": internal(
                "Equal to the e-mail address (Django's login field).", personal=True
            ),
            "first_name": internal(
                "Member's first name, shown to colleagues on cases, meetings and the audit.",
                personal=True,
            ),
            "last_name": internal(
                "Member's last name, shown to colleagues on cases, meetings and the audit.",
                personal=True,
            ),
            "email": internal(
                "Login and professional contact (invitations, meeting notices).", personal=True
            ),
            "is_staff": internal("Access to the Django admin site.", personal=True),
            "is_active": internal(
                "Account enabled; a disabled account loses every membership.", personal=True
            ),
            "date_joined": internal("When the account was created.", personal=True),
            "groups": internal("Django permission groups (admin site only).", personal=True),
            "user_permissions": internal("Django permissions (admin site only).", personal=True),
        },
    ),
    # ----------------------------------------------------------------------------- tenancy
    "tenancy.School": TableEntry(
        app="alliance.tenancy",
        purpose="A school (EPLE), the tenant of all its data.",
        fields={
            **_keys(personal=False),
            "name": public("The school's name, as in the national directory."),
            "uai": public("UAI code, public in the national directory of schools."),
            "school_type": public("Collège, lycée or lycée professionnel."),
            "city": public("The school's town."),
        },
    ),
    "tenancy.SchoolYear": TableEntry(
        app="alliance.tenancy",
        purpose="A school year and its dates (retention and detection periods are counted in them).",
        fields={
            **_keys(personal=False, public_id=False),
            **_school(personal=False),
            "label": public("E.g. 2026-2027."),
            "starts_on": public("First day of the year (the published school calendar)."),
            "ends_on": public("Last day of the year (the published school calendar)."),
        },
    ),
    "tenancy.Division": TableEntry(
        app="alliance.tenancy",
        purpose="A class (division) of a school year.",
        fields={
            **_keys(personal=False, public_id=False),
            **_school(personal=False),
            "school_year": internal("The year the class belongs to."),
            "code": internal("The class's code (4e B…), as in SIECLE."),
            "level": internal("The class's level (4e, 2nde…)."),
        },
    ),
    "tenancy.Membership": TableEntry(
        app="alliance.tenancy",
        purpose=(
            "What one person is in one school: role, profession, validity. Decides what they "
            "may see (need-to-know, charter art. 3b)."
        ),
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "user": internal("The person.", personal=True),
            "role": internal("Head, staff, partner, district officer or admin.", personal=True),
            "profession": internal(
                "The member's profession (decides the secrecy-bound audiences).", personal=True
            ),
            "partner_organisation": internal(
                "For a partner: the organisation they act for.", personal=True
            ),
            "valid_from": internal("First day the membership is in force.", personal=True),
            "valid_until": internal("Last day the membership is in force.", personal=True),
        },
    ),
    # ----------------------------------------------------------------------------- partners
    "partners.PartnerOrganisation": TableEntry(
        app="alliance.partners",
        purpose="A partner organisation (association, mission locale, club, public service…).",
        fields={
            **_keys(personal=False),
            "name": public("The organisation's name."),
            "kind": public("Association, mission locale, club, local authority or State service."),
            "siret": public("SIRET number, public in the business directory (SIRENE)."),
        },
    ),
    "partners.PartnerRegistration": TableEntry(
        app="alliance.partners",
        purpose="A school works with this organisation: registered by its head (charter art. 2).",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "organisation": internal("The organisation registered with the school."),
            "registered_by": internal(_ACTOR, personal=True),
            "registered_at": internal("When it was registered."),
        },
    ),
    "partners.PartnerPerson": TableEntry(
        app="alliance.partners",
        purpose=(
            "A professional or volunteer of a partner organisation, maybe its administrator: "
            "the organisation spreads the charter to its people and sees who adhered (art. 5)."
        ),
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            "organisation": internal("The organisation the person acts for.", personal=True),
            "user": internal("The person.", personal=True),
            "kind": internal("Professional or volunteer.", personal=True),
            "is_admin": internal(
                "Administers the organisation (invites and removes its people).", personal=True
            ),
            "invited_by": internal("Who invited them (accountability).", personal=True),
            "joined_at": internal("When they accepted the invitation.", personal=True),
            "left_at": internal(
                "When they left or were removed (their partner memberships ended then).",
                personal=True,
            ),
        },
    ),
    "partners.PartnerInvitation": TableEntry(
        app="alliance.partners",
        purpose="An e-mailed invitation to join a partner organisation: single use, expires.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            "organisation": internal(
                "The organisation the invitee is asked to join.", personal=True
            ),
            "email": internal("The invitee's professional e-mail address.", personal=True),
            "kind": internal("Invited as professional or volunteer.", personal=True),
            "is_admin": internal("Invited as the organisation's administrator.", personal=True),
            "token_hash": confidential(
                "SHA-256 hash of the link's secret token (a credential; the token itself is "
                "never stored)."
            ),
            "created_at": internal("When it was sent.", personal=True),
            "expires_at": internal("After this, the link no longer works.", personal=True),
            "accepted_at": internal("When it was used.", personal=True),
            "accepted_by": internal("The account that used it.", personal=True),
            "revoked_at": internal(
                "When it was revoked (or replaced by a newer one).", personal=True
            ),
            "invited_by": internal(_ACTOR, personal=True),
            "invited_from": internal(
                "The head's membership, when a school's head invited the administrator.",
                personal=True,
            ),
        },
    ),
    # ----------------------------------------------------------------------------- charter
    "charter.CharterVersion": TableEntry(
        app="alliance.charter",
        purpose="A published version of the school's charter (art. 3 and 5).",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "number": public("Version number."),
            "title": public("The charter's title."),
            "body": public(
                "The charter's text: presented to the board, given to every member and family."
            ),
            "published_at": public("When this version was published."),
            "published_by": internal(_ACTOR, personal=True),
        },
    ),
    "charter.BoardPresentation": TableEntry(
        app="alliance.charter",
        purpose="The presentation of a charter version to the board (conseil d'administration).",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "charter_version": internal("The version presented."),
            "presented_on": internal("Date of the board meeting."),
            "minutes_reference": internal("Reference of the board's minutes."),
            "recorded_by": internal(_ACTOR, personal=True),
            "recorded_at": internal("When it was recorded."),
        },
    ),
    "charter.CharterAdhesion": TableEntry(
        app="alliance.charter",
        purpose="A member's adhesion to a charter version: the gate to any pupil data (art. 3a).",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            **_school(personal=True),
            "charter_version": internal("The version adhered to.", personal=True),
            "user": internal("The person who adhered.", personal=True),
            "membership": internal("The membership the adhesion opens.", personal=True),
            "adhered_at": internal("When they adhered.", personal=True),
        },
    ),
    # ----------------------------------------------------------------------------- pupils
    "pupils.Pupil": TableEntry(
        app="alliance.pupils",
        purpose=(
            "A pupil of one school, imported from SIECLE or entered by staff. Never named in a "
            "URL or a log."
        ),
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "last_name": confidential("Pupil's last name (identification)."),
            "first_name": confidential("Pupil's first name (identification)."),
            "birth_date": confidential(
                "Birth date: tells pupils with the same names apart; age for the legal duties."
            ),
            "division": confidential("The pupil's class."),
            "national_id": confidential(
                "INE (national pupil id), only when the school provides it: matches the next "
                "roster import."
            ),
            "source_id": confidential("SIECLE's pupil id (ELEVE_ID): matches the next export."),
            "school_number": confidential(
                "The school's pupil number (ELENOET): matches files that name pupils by it."
            ),
            "entered_on": confidential("When the pupil entered the school."),
            "left_on": confidential(
                "When the pupil left: their open case closes and enters retention (art. 4b)."
            ),
            "version": internal(_VERSION),
        },
    ),
    "pupils.Guardian": TableEntry(
        app="alliance.pupils",
        purpose="A person responsible for a pupil: contacted from the start (charter art. 4a).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "pupil": confidential("The pupil they are responsible for."),
            "last_name": confidential("Guardian's last name."),
            "first_name": confidential("Guardian's first name."),
            "relationship": confidential(
                "Link to the pupil; 'child welfare' or 'foster carer' reveal a placement."
            ),
            "legal_responsibility": confidential("Whether they hold legal responsibility."),
            "phone": confidential("Phone, to contact the family."),
            "email": confidential("E-mail, to contact the family."),
            "address": confidential("Postal address, to write to the family."),
        },
    ),
    "pupils.RosterImport": TableEntry(
        app="alliance.pupils",
        purpose="History of roster imports, without the file's personal data.",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "membership": internal("Who imported.", personal=True),
            "imported_at": internal("When."),
            "file_sha256": internal("Checksum of the file (which file it was, not its content)."),
            "created_count": internal("Pupils created."),
            "updated_count": internal("Pupils updated."),
            "unchanged_count": internal("Pupils unchanged."),
            "left_count": internal("Pupils marked as having left."),
            "ambiguous_count": internal("Rows matching several pupils (left alone)."),
            "skipped_count": internal("Rows skipped."),
            "source_format": internal("SIECLE XML, spreadsheet, Pronote or Alliance CSV."),
            "warnings": internal(
                "Located warnings (row numbers, counts), never a name or a cell of the file."
            ),
            "dry_run": internal("Whether it was a dry run."),
        },
    ),
    # ----------------------------------------------------------------------------- cases
    "cases.Case": TableEntry(
        app="alliance.cases",
        purpose=(
            "A pupil's situation, from the referral to its closure. Its existence is protected "
            "(art. 4b): seen only through cases_visible_to."
        ),
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "pupil": confidential("The pupil the situation is about: the fact of a parcours."),
            "status": confidential("Where the situation stands in the workflow."),
            "opened_by": confidential("Who opened it."),
            "referent": confidential("The member who follows the situation."),
            "reason": confidential(
                _encrypted("Why the pupil was referred (objective facts, free text).")
            ),
            "source_alert_public_id": internal(
                "The detection alert it came from (statistics on detection).", personal=True
            ),
            "opened_at": confidential("When it was opened."),
            "family_associated_at": confidential("When the family was first reached (art. 4a)."),
            "examined_at": confidential("When the GPDS first examined it."),
            "outcome": confidential("How it ended (back on track, re-oriented…)."),
            "closing_note": confidential(_encrypted("Words on the closure.")),
            "closed_at": confidential("When it was closed (starts the retention period)."),
            "version": internal(_VERSION),
        },
    ),
    "cases.CaseReferral": TableEntry(
        app="alliance.cases",
        purpose="A referral (saisine) of a pupil; the first opens the case, later ones are signals.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "pupil": confidential("The pupil referred (the referrer's own list)."),
            "referred_by": confidential("The referrer."),
            "reason": confidential(_encrypted("The referrer's words.")),
            "referred_at": confidential("When."),
            "is_initial": confidential("Whether this referral opened the case."),
        },
    ),
    "cases.SignCatalogueEntry": TableEntry(
        app="alliance.cases",
        purpose="The school's observation grid (désengagement, isolement…): a list of words.",
        fields={
            **_keys(personal=False, public_id=False),
            **_school(personal=False),
            "code": internal("The sign's code."),
            "label": internal("The sign's wording."),
            "position": internal(_POSITION),
            "is_active": internal("Whether the grid still offers it."),
        },
    ),
    "cases.CaseSign": TableEntry(
        app="alliance.cases",
        purpose="A sign observed in the pupil, recorded on a case.",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "referral": confidential("The referral that recorded it."),
            "catalogue_entry": confidential("The sign of the grid observed in the pupil."),
            "free_text": confidential(_encrypted("A sign in words (200 characters).")),
            "recorded_by": confidential(_ACTOR),
        },
    ),
    "cases.CaseTeamMember": TableEntry(
        app="alliance.cases",
        purpose="A member's place on a case team (who may see the case).",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "membership": confidential(
                "The team member (their profession may reveal a health or social follow-up)."
            ),
            "added_by": confidential(_ACTOR),
            "added_at": confidential("When they joined."),
            "removed_by": confidential("Who removed them."),
            "removed_at": confidential("When they left (their access ends)."),
        },
    ),
    "cases.FamilyContact": TableEntry(
        app="alliance.cases",
        purpose="A contact or attempt with the family (parents first, art. 4a).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "contacted_on": confidential("Date of the contact."),
            "channel": confidential("Meeting, phone, letter, ENT, e-mail."),
            "made_by": confidential("Who contacted the family."),
            "recorded_by": confidential(_ACTOR),
            "guardian": confidential("The guardian contacted."),
            "pupil_present": confidential("Whether the pupil was present."),
            "reached": confidential("Whether the family was reached."),
            "outcome": confidential(_encrypted("What came of it (free text).")),
        },
    ),
    "cases.FamilyContactException": TableEntry(
        app="alliance.cases",
        purpose="The head's written exception to parents first.",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "reason": confidential(_encrypted("Why the family could not be associated first.")),
            "requested_by": confidential("Who asked."),
            "requested_at": confidential("When."),
            "approved_by": confidential("The head who approved."),
            "approved_at": confidential("When."),
        },
    ),
    "cases.FamilyInvolvement": TableEntry(
        app="alliance.cases",
        purpose="A fact of the family's involvement: informed, invited, present, agreed (art. 4a).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "kind": confidential("Informed, invited, present, agreed or declined."),
            "occurred_on": confidential("Date."),
            "guardian": confidential("The guardian concerned."),
            "pupil_took_part": confidential("Whether the pupil took part."),
            "related_public_id": internal("The meeting or plan concerned.", personal=True),
            "recorded_by": confidential(_ACTOR),
        },
    ),
    "cases.CaseNote": TableEntry(
        app="alliance.cases",
        purpose=(
            "A note on a case, read only by its audience (notes_visible_to); a secrecy-bound "
            "professional's note stays within their profession."
        ),
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "author": confidential("The author."),
            "author_profession": confidential(
                "The author's profession, frozen: with the audience, decides who reads. A "
                "secret note's row is hidden from everyone outside its audience."
            ),
            "audience": confidential("Team, school staff on the team, profession, or author only."),
            "body": secret(
                "The note's text. Holds health, social or psychological information under "
                "professional secrecy when a PsyEN, nurse, social worker or doctor writes for "
                "their profession or themselves (only with HDS hosting, decision 0007); "
                "encrypted at rest under the school's key (decision 0016)."
            ),
            "is_summary_item": confidential(
                "A short line the professional chooses to publish to the team instead."
            ),
        },
    ),
    "cases.CaseEvent": TableEntry(
        app="alliance.cases",
        purpose="The case's own history, shown with the case. Never holds a note's content.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "kind": confidential("What happened."),
            "actor": confidential(_ACTOR),
            "subject": confidential("The member the event is about (team changes, referent)."),
            "from_status": confidential("Status before."),
            "to_status": confidential("Status after."),
            "related_public_id": internal("A meeting, plan or other object.", personal=True),
            "detail": confidential(_encrypted("The written reason of a reopening.")),
            "occurred_at": confidential("When."),
        },
    ),
    # ----------------------------------------------------------------------------- meetings
    "meetings.Meeting": TableEntry(
        app="alliance.meetings",
        purpose="A GPDS meeting, convened by the head (art. 2). Names no pupil.",
        fields={
            **_keys(personal=False),
            **_school(personal=False),
            "starts_at": internal("Date and time."),
            "duration_minutes": internal("Planned duration."),
            "place": internal("Where."),
            "status": internal("Convened, held or cancelled."),
            "convened_by": internal(_ACTOR, personal=True),
            "convened_at": internal("When it was convened."),
            "held_at": internal("When attendance was recorded."),
            "version": internal(_VERSION),
        },
    ),
    "meetings.MeetingParticipant": TableEntry(
        app="alliance.meetings",
        purpose="A member convened to a meeting (minutes go to attendees only).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "meeting": internal("The meeting.", personal=True),
            "membership": internal("The member convened.", personal=True),
            "attendance": internal("Present, absent, excused.", personal=True),
        },
    ),
    "meetings.AgendaItem": TableEntry(
        app="alliance.meetings",
        purpose="A case on a meeting's agenda, and the minutes about it.",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "meeting": internal("The meeting.", personal=True),
            "case": _CASE_FK,
            "position": internal(_POSITION),
            "family_invited": confidential("Whether the family was invited (art. 4a)."),
            "family_present": confidential("Whether the family came."),
            "situation_summary": confidential(_encrypted("The situation as presented (minutes).")),
            "decisions": confidential(_encrypted("What the GPDS decided (minutes).")),
            "next_steps": confidential(_encrypted("Next steps (minutes).")),
            "recorded_by": confidential(_ACTOR),
            "recorded_at": confidential("When the minutes were recorded."),
            "version": internal(_VERSION),
        },
    ),
    # ----------------------------------------------------------------------------- plans
    "plans.ActionType": TableEntry(
        app="alliance.plans",
        purpose="The school's catalogue of actions (tutorat, PPRE, module relais…).",
        fields={
            **_keys(personal=False),
            **_school(personal=False),
            "code": internal("The type's code."),
            "label": internal("The type's name."),
            "usually_outside_school_time": internal("Default time frame."),
            "is_active": internal("Offered in new plans."),
            "position": internal(_POSITION),
        },
    ),
    "plans.ActionPlan": TableEntry(
        app="alliance.plans",
        purpose="The co-constructed action plan of a case (art. 1).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "case": _CASE_FK,
            "created_by": confidential(_ACTOR),
            "activated_at": confidential("When the plan started."),
            "next_review_on": confidential("Next review."),
            "version": internal(_VERSION),
        },
    ),
    "plans.PlanAction": TableEntry(
        app="alliance.plans",
        purpose="One action of a plan: type, when, who, how often.",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "plan": confidential("The plan."),
            "action_type": confidential("The help given to the pupil (PPRE, module relais…)."),
            "description": confidential(_encrypted("What the action is, in words.")),
            "time_frame": confidential("In or outside school time (art. 1)."),
            "owner": confidential("The member who carries it."),
            "carried_by": confidential(_encrypted("An outside body carrying it, in words.")),
            "starts_on": confidential("Start."),
            "ends_on": confidential("End."),
            "frequency": confidential("How often."),
            "review_on": confidential("Review date."),
            "status": confidential("Planned, in progress, completed, stopped."),
            "added_in_review": confidential("The review that added it."),
            "position": internal(_POSITION),
            "version": internal(_VERSION),
        },
    ),
    "plans.ActionGoal": TableEntry(
        app="alliance.plans",
        purpose="A goal of an action, in words.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            "public_id": internal(_PUBLIC_ID, personal=True),
            "created_at": internal(_CREATED, personal=True),
            **_school(personal=True),
            "action": confidential("The action."),
            "text": confidential(_encrypted('The goal ("rend ses devoirs chaque semaine").')),
            "position": internal(_POSITION),
        },
    ),
    "plans.PlanReview": TableEntry(
        app="alliance.plans",
        purpose="A review of the plan: goals assessed, actions continued, stopped or added.",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "plan": confidential("The plan."),
            "status": confidential("Open or completed."),
            "opened_by": confidential(_ACTOR),
            "opened_at": confidential("When it was opened."),
            "held_on": confidential("Date of the review."),
            "summary": confidential(_encrypted("The review's summary (free text).")),
            "completed_by": confidential("Who completed it."),
            "completed_at": confidential("When."),
            "next_review_on": confidential("Next review."),
        },
    ),
    "plans.GoalAssessment": TableEntry(
        app="alliance.plans",
        purpose="How far a goal was reached, at one review.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            **_school(personal=True),
            "review": confidential("The review."),
            "goal": confidential("The goal."),
            "result": confidential("Reached, partly, not reached."),
        },
    ),
    "plans.ReviewActionDecision": TableEntry(
        app="alliance.plans",
        purpose="What a review decided for one action.",
        fields={
            "id": internal(_ROW_KEY, personal=True),
            **_school(personal=True),
            "review": confidential("The review."),
            "action": confidential("The action."),
            "decision": confidential("Continued, stopped, added."),
        },
    ),
    "plans.PlanAgreement": TableEntry(
        app="alliance.plans",
        purpose="The pupil's or the family's agreement with the plan (art. 4a).",
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "plan": confidential("The plan."),
            "party": confidential("The pupil or the family."),
            "guardian": confidential("The guardian who answered."),
            "agreed": confidential("Agreed or declined."),
            "agreed_on": confidential("Date."),
            "channel": confidential("How."),
            "comment": confidential(_encrypted("Their words (free text).")),
            "plan_version": internal("The plan's version they agreed to."),
            "recorded_by": confidential(_ACTOR),
        },
    ),
    # ----------------------------------------------------------------------------- audit
    "audit.AuditEvent": TableEntry(
        app="alliance.audit",
        purpose=(
            "The audit trail: who did what to which object, never a field's content. Append-only, "
            "hash-chained."
        ),
        fields={
            "id": internal(_ROW_KEY),
            "sequence": internal("Position in the chain (no gaps)."),
            "occurred_at": internal("When.", personal=True),
            "actor_user_id": internal("The acting person (plain id, no cascade).", personal=True),
            "actor_membership_id": internal("The acting membership.", personal=True),
            "school_id": internal(_TENANT),
            "action": internal("Viewed, created, exported, logged in…", personal=True),
            "object_type": internal("The kind of object acted on.", personal=True),
            "object_public_id": internal(
                "Public id of the object (a pupil, a case…): pseudonymous.", personal=True
            ),
            "request_id": internal("Correlates with the server log."),
            "previous_hash": internal("Hash of the previous event (tamper evidence)."),
            "entry_hash": internal("SHA-256 of this event and the previous hash."),
        },
    ),
    "audit.AuditAnchor": TableEntry(
        app="alliance.audit",
        purpose=(
            "Where the audit chain restarts after the retention purge removed its oldest events "
            "(decision 0015). Append-only; written before the purge's delete, which the "
            "triggers allow only for the events it covers."
        ),
        fields={
            "id": internal(_ROW_KEY),
            "up_to_sequence": internal("The last purged event's position in the chain."),
            "last_hash": internal(
                "The last purged event's hash: the first kept event links to it."
            ),
            "purged_count": internal("How many events this purge removed."),
            "purged_before": internal("The retention limit applied."),
            "created_at": internal(_CREATED),
        },
    ),
    # ----------------------------------------------------------------------------- vault
    "vault.SchoolKey": TableEntry(
        app="alliance.vault",
        purpose=(
            "A school's data keys for encryption at rest (decision 0016), stored wrapped by the "
            "deployment's master key, which never enters the database nor a backup."
        ),
        fields={
            "id": internal(_ROW_KEY),
            **_school(personal=False),
            "key_id": internal("Random key name, written in front of every ciphertext."),
            "version": internal("The school's key generation (1, 2, … at each rotation)."),
            "wrapped_key": confidential(
                "The data key, encrypted by the master key (AES-256-GCM); emptied when the key "
                "is destroyed. Useless without the master key, never displayed.",
                personal=False,
            ),
            "master_key_id": internal("Fingerprint of the master key that wraps it."),
            "is_primary": internal("Whether new writes use it."),
            "created_at": internal(_CREATED),
            "retired_at": internal("When a newer key replaced it (old data stays readable)."),
            "destroyed_at": internal("When it was destroyed, no ciphertext naming it any more."),
        },
    ),
    # ----------------------------------------------------------------------------- jobs
    "jobs.StagedUpload": TableEntry(
        app="alliance.jobs",
        purpose=(
            "An uploaded file between the steps of an import. Deleted when its import finishes, "
            "after 24 hours at most."
        ),
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "membership": internal("Who uploaded.", personal=True),
            "kind": internal("What the file is (roster, absences…)."),
            "filename": internal(
                "The file's name as uploaded (may name a class; should not name a person).",
                personal=True,
            ),
            "data": confidential(
                "The file itself: pupils' identities, guardians' contacts, absences, marks, "
                "sanctions, as exported by SIECLE or the vie-scolaire software."
            ),
            "size": internal("Size in bytes."),
            "file_sha256": internal("Checksum."),
            "params": internal("Options chosen at upload (row count, period): no personal data."),
            "created_at": internal("When uploaded."),
            "expires_at": internal("When it is deleted at the latest."),
        },
    ),
    "jobs.ImportJob": TableEntry(
        app="alliance.jobs",
        purpose="A run of an import, as the person who started it follows it. Counts, never names.",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "membership": internal("Who started it.", personal=True),
            "handler": internal("Which import runs."),
            "kind": internal("What is imported."),
            "dry_run": internal("Whether it is a dry run."),
            "status": internal("Queued, running, done, failed."),
            "upload": internal("The staged file, while it exists."),
            "filename": internal("The file's name as uploaded.", personal=True),
            "file_sha256": internal("Checksum."),
            "params": internal("Mapping, period, fingerprint: no personal data."),
            "stage": internal("Current stage."),
            "progress_done": internal("Progress."),
            "progress_total": internal("Progress."),
            "result": internal("Counts and located problems, never a cell naming a pupil."),
            "error_message": internal("A located error message, never a cell of the file."),
            "task_id": internal("The background task's id."),
            "created_at": internal(_CREATED),
            "started_at": internal("When it started."),
            "finished_at": internal("When it finished."),
        },
    ),
    # ----------------------------------------------------------------------------- detection
    "detection.EventImport": TableEntry(
        app="alliance.detection",
        purpose="History of events imports (absences, lateness, sanctions, marks, counts).",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "membership": internal("Who imported.", personal=True),
            "kind": internal("Which events."),
            "imported_at": internal("When."),
            "file_sha256": internal("Checksum."),
            "rows_count": internal("Rows read."),
            "created_count": internal("New events."),
            "updated_count": internal("Updated events."),
            "unchanged_count": internal("Events already imported."),
            "duplicate_count": internal("Repeated rows."),
            "skipped_count": internal("Rows of another kind."),
            "warnings": internal("Located warnings (rows, columns), never a cell naming a pupil."),
            "job": internal("The job it ran in."),
        },
    ),
    "detection.ColumnMapping": TableEntry(
        app="alliance.detection",
        purpose="Which column of a school's export holds which field, as the school confirmed.",
        fields={
            "id": internal(_ROW_KEY),
            "public_id": internal(_PUBLIC_ID),
            **_school(personal=False),
            "kind": internal("Which events."),
            "header_signature": internal("Hash of the header row."),
            "headers": internal("The header row (column names, not data)."),
            "mapping": internal("Field → column."),
            "preset": internal("The preset it came from."),
            "confirmed_by": internal(_ACTOR, personal=True),
            "confirmed_at": internal("When."),
        },
    ),
}


def _imported_event(purpose: str, **specific: FieldEntry) -> TableEntry:
    """An imported school-life event: keys internal, the pupil and the facts confidential."""
    return TableEntry(
        app="alliance.detection",
        purpose=purpose,
        fields={
            **_keys(personal=True),
            **_school(personal=True),
            "source_key": internal(
                "SHA-256 of what identifies the row in the file (re-importing adds nothing).",
                personal=True,
            ),
            "event_import": internal("The import it came from.", personal=True),
            "pupil": confidential("The pupil."),
            **specific,
        },
    )


REGISTER.update(
    {
        "detection.Absence": _imported_event(
            "An absence, from the vie-scolaire software (indicator; legal threshold L131-8).",
            start_date=confidential("First day."),
            end_date=confidential("Last day."),
            starts_at=confidential("Start time."),
            ends_at=confidential("End time."),
            half_day=confidential("Morning or afternoon."),
            half_days=confidential("Half-days missed."),
            justified=confidential("Whether justified."),
            reason=confidential(
                "The reason as recorded; one naming a health matter is not kept (minimisation)."
            ),
        ),
        "detection.Lateness": _imported_event(
            "A lateness, from the vie-scolaire software (indicator).",
            date=confidential("Date."),
            occurred_at=confidential("Time."),
            minutes=confidential("Minutes late."),
            justified=confidential("Whether justified."),
            reason=confidential("The reason as recorded (health matters not kept)."),
        ),
        "detection.Sanction": _imported_event(
            "A sanction, punishment or incident: nature and weight, never the account of facts.",
            date=confidential("Date."),
            occurred_at=confidential("Time."),
            incident_number=confidential("The software's incident number."),
            nature=confidential("Nature of the sanction."),
            severity=confidential("Weight (incident … permanent exclusion)."),
            exclusion=confidential("Whether an exclusion."),
            duration=confidential("Duration."),
            duration_unit=confidential("Hours or days."),
        ),
        "detection.Mark": _imported_event(
            "A mark (indicator: falling results).",
            period=confidential("Term or semester."),
            subject=confidential("Subject."),
            date=confidential("Date."),
            assessment=confidential("Assessment's name."),
            mark=confidential("The mark."),
            out_of=confidential("Scale."),
            coefficient=confidential("Weight."),
            special=confidential("Absent, exempt, not handed in…"),
        ),
        "detection.PeriodCount": _imported_event(
            "A pupil's absence and lateness counts for a period (GEPI / Sconet).",
            period=confidential("Period."),
            half_days_absent=confidential("Half-days absent."),
            unjustified_half_days=confidential("Unjustified half-days."),
            invalid_reason_half_days=confidential("Half-days with a reason not accepted."),
            lateness_count=confidential("Lateness count."),
        ),
        "detection.Observation": TableEntry(
            app="alliance.detection",
            purpose="A sign of the grid seen in a pupil by a staff member (coded, no free text).",
            fields={
                **_keys(personal=True),
                **_school(personal=True),
                "pupil": confidential("The pupil."),
                "sign": confidential("The sign observed."),
                "observed_on": confidential("When."),
                "recorded_by": confidential("The observer."),
            },
        ),
        "detection.DetectionSettings": TableEntry(
            app="alliance.detection",
            purpose="A school's detection rules, watchlist readers and team capacity.",
            fields={
                **_keys(personal=False, public_id=False),
                **_school(personal=False),
                "rules": internal("The school's rule set (engine format)."),
                "capacity": internal("Situations the team can examine."),
                "watchlist_professions": internal("Professions who read the watchlist."),
                "updated_by": internal(_ACTOR, personal=True),
                "version": internal(_VERSION),
            },
        ),
        # ------------------------------------------------------------------ privacy
        "privacy.NoteRelease": TableEntry(
            app="alliance.privacy",
            purpose=(
                "The author's release of one of their secret notes for a family's right-of-access "
                "request (issue 5 point 5)."
            ),
            fields={
                "id": internal(_ROW_KEY, personal=True),
                "public_id": internal(_PUBLIC_ID, personal=True),
                **_school(personal=True),
                "note": confidential(
                    "The released note (reveals that a note under secrecy exists on the case)."
                ),
                "released_by": confidential("The note's author, who alone may release it."),
                "released_at": confidential("When it was released."),
            },
        ),
        "privacy.CaseArchive": TableEntry(
            app="alliance.privacy",
            purpose=(
                "A closed case archived at the end of the school year of its closure: the head "
                "only, read-only, deleted on its day (retention, decision 0015)."
            ),
            fields={
                "id": internal(_ROW_KEY, personal=True),
                **_school(personal=True),
                "case": _CASE_FK,
                "archived_at": confidential("When the case was archived."),
                "delete_on": confidential("The day the case and everything linked to it go."),
            },
        ),
        "privacy.RetentionStatistic": TableEntry(
            app="alliance.privacy",
            purpose=(
                "Anonymised counts kept after the purge (per school, school year, kind and "
                "outcome); no pupil, case or member is named or keyed."
            ),
            fields={
                "id": internal(_ROW_KEY),
                **_school(personal=False),
                "school_year": internal("The school year counted (e.g. 2026-2027)."),
                "kind": internal("What is counted: closed cases, pupils deleted after leaving."),
                "outcome": internal("A closed case's outcome code (empty for pupils)."),
                "count": internal("How many."),
            },
        ),
        "privacy.PurgeRun": TableEntry(
            app="alliance.privacy",
            purpose=(
                "One run of the retention purge: when, and counts per category (the purge's "
                "audit event points here). Nothing about a person."
            ),
            fields={
                "id": internal(_ROW_KEY),
                "public_id": internal(_PUBLIC_ID),
                "ran_at": internal("When the purge ran."),
                "counts": internal("Rows archived or deleted per category: numbers only."),
            },
        ),
        # ------------------------------------------------------------------ third-party tables
        "sessions.Session": TableEntry(
            app="django.contrib.sessions",
            third_party=True,
            purpose=(
                "Logged-in sessions (database backend): who is logged in, their chosen school, "
                "a pending import's token, flash messages. Expire after 8 hours or at browser "
                "close."
            ),
            fields={
                "session_key": confidential(
                    "The session cookie's value: a bearer credential for the account."
                ),
                "session_data": confidential(
                    "Signed session content: user id, password-hash digest, chosen membership, "
                    "pending roster token, flash messages (never a name; at most a case's new status)."
                ),
                "expire_date": internal("When the session expires.", personal=True),
            },
        ),
    }
)

# ----------------------------------------------------------------------------- agreements
# docs/decisions/0013-agreements.md. A school–partner agreement names no pupil: it is internal
# (the board deliberates on it). A partner–pupil–parents agreement reveals that the pupil is
# followed by the alliance, so every field that may belong to one is at least confidential.
REGISTER.update(
    {
        "agreements.Agreement": TableEntry(
            app="alliance.agreements",
            purpose=(
                "An agreement (convention, charter art. 2): school–partner, approved by the "
                "board (art. 5); or partner–pupil–parents, under a school–partner agreement."
            ),
            fields={
                **_keys(personal=True),
                **_school(personal=False),
                "kind": internal("School–partner or partner–pupil–parents."),
                "partner_organisation": internal("The partner organisation party to it."),
                "pupil": confidential(
                    "The pupil of a partner–pupil–parents agreement (reveals a parcours, art. 4b)."
                ),
                "parent_agreement": confidential(
                    "The school–partner agreement a pupil agreement falls under."
                ),
                "title": confidential("The agreement's title (may name the pupil)."),
                "purpose": confidential(
                    _encrypted("What the partner does (may describe the pupil's needs).")
                ),
                "parties": confidential(
                    _encrypted("The parties and their representatives (may name the parents).")
                ),
                "starts_on": internal("First day in force.", personal=True),
                "ends_on": internal("Last day in force.", personal=True),
                "status": internal("Draft, concluded or revoked.", personal=True),
                "created_by": internal(_ACTOR, personal=True),
                "board_approved_on": internal("Date of the board meeting that approved it."),
                "board_reference": internal("Reference of the board's deliberation."),
                "board_recorded_by": internal(_ACTOR, personal=True),
                "board_recorded_at": internal("When the approval was recorded."),
                "concluded_at": internal("When it was concluded.", personal=True),
                "revoked_on": internal("Date of the revocation.", personal=True),
                "revocation_reason": confidential(
                    _encrypted("Why it was revoked (may concern the pupil).")
                ),
                "revoked_by": internal(_ACTOR, personal=True),
                "revoked_at": internal("When the revocation was recorded.", personal=True),
                "version": internal(_VERSION),
            },
        ),
        "agreements.AgreementSignature": TableEntry(
            app="alliance.agreements",
            purpose="A signature of the paper agreement, recorded by the head (not an e-signature).",
            fields={
                "id": internal(_ROW_KEY, personal=True),
                "public_id": internal(_PUBLIC_ID, personal=True),
                **_school(personal=True),
                "agreement": internal("The agreement signed.", personal=True),
                "party": internal("Which party signed.", personal=True),
                "signatory_name": confidential(
                    "Who signed (a parent's name on a pupil agreement)."
                ),
                "signatory_capacity": confidential("In what capacity."),
                "guardian": confidential("The parent or guardian who signed."),
                "signed_on": confidential("When it was signed."),
                "recorded_by": internal(_ACTOR, personal=True),
                "recorded_at": internal("When the signature was recorded.", personal=True),
            },
        ),
    }
)

#: Installed models outside ``alliance.*`` that are deliberately left out, and why.
EXCLUDED: Mapping[str, str] = {
    "auth.Permission": "Django's permission catalogue: reference data, no personal data.",
    "auth.Group": (
        "Permission groups (names only); a user's groups are registered as people.User.groups."
    ),
    "contenttypes.ContentType": "Django's catalogue of models: reference data.",
    "dsfr.DsfrConfig": "The site's look (DSFR header, footer, notice): no personal data.",
    "dsfr.DsfrSocialMedia": "Links of the site's footer: no personal data.",
    "django_tasks_database.DBTaskResult": (
        "Background task results. No personal data by design: the only argument is an import "
        "job's integer key, the task returns nothing, and the job catches and records its own "
        "errors (never a cell of the file) before the task could store a traceback. Finished "
        "results are to be trimmed by the retention schedule (issue 5 point 4)."
    ),
}


def iter_fields() -> Iterator[tuple[str, str, FieldEntry]]:
    """Every registered (model label, field name, entry)."""
    for label, table in REGISTER.items():
        for name, entry in table.fields.items():
            yield label, name, entry


def entry_for(label: str, field_name: str) -> FieldEntry | None:
    """The register's entry for ``field_name`` of model ``label`` (``app_label.Model``)."""
    table = REGISTER.get(label)
    return table.fields.get(field_name) if table else None


def fields_at(level: Level) -> list[tuple[str, str]]:
    """(model label, field name) of every field classified ``level``: e.g. what to encrypt."""
    return [(label, name) for label, name, entry in iter_fields() if entry.level == level]

"""Cases (situations): referral, parents first, need-to-know, notes under professional secrecy.

Models (``alliance.cases.models``), every one carrying ``school`` as tenant key:

- ``Case`` — one situation of one pupil. ``status`` (``CaseStatus``) moves only through the
  transition services (the plan's steps only through the plans services, which pass the plan); ``outcome`` (``CaseOutcome``) is set on closure. At most one open
  case per pupil (partial unique constraint). ``version`` is the optimistic lock.
- ``CaseReferral`` — every referral (saisine) of the pupil: the opening one (``is_initial``)
  and later ones made by staff who could not see the open case (the "no-trace" design,
  docs/decisions/0007-need-to-know-and-secrecy.md).
- ``SignCatalogueEntry`` — the school's grid of observable signs (French defaults seeded by
  ``services.sign_catalogue_ensure``; the head adds, retires and offers again signs on the page
  ``cases/signs/``, through ``services.sign_catalogue_add`` and ``sign_catalogue_set_active``);
  ``CaseSign`` — one observed sign (catalogue or free text).
- ``CaseTeamMember`` — who works on the case (``removed_at`` null while on the team). The
  head sees every case of the school; other staff only the cases whose team they are on.
  Partners are refused for now (agreements come with the partners issue).
- ``FamilyContact`` — the family contact log (art. 4a); the first contact where the family was
  reached moves ``referred`` → ``family_associated``.
- ``FamilyContactException`` — the head's written exception to "parents first".
- ``FamilyInvolvement`` — the family's involvement over time (informed, invited to a meeting,
  present, agreed to / declined the plan), for the meetings and plans apps to record.
- ``CaseNote`` — a note with an ``audience`` (``NoteAudience``); ``is_summary_item`` marks the
  short item a secrecy-bound professional publishes to the team.
- ``CaseEvent`` — the case's history (status changes, team, contacts, exceptions); never the
  content of a note.

Reads: ``selectors.cases_visible_to(membership)``, ``case_get_visible(membership, public_id)``,
``notes_visible_to(membership, case)``, ``case_family_associated_or_excepted(case)``.
Writes: ``services.case_*`` (keyword-only, atomic, audited), ``services.ensure_parents_first``.
"""

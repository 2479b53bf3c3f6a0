"""Agreements (conventions, charter art. 2 and 5) and the partners' access to cases.

- ``Agreement`` — a school–partner agreement (``kind=school_partner``), or a
  partner–pupil–parents agreement (``kind=partner_pupil_parents``) concluded under a
  school–partner agreement with the same partner organisation. Parties, purpose, dates,
  ``status`` (draft → concluded → revoked), the board's approval (school–partner only:
  date and reference of the deliberation of the conseil d'administration), the revocation.
- ``AgreementSignature`` — a signature recorded by the head (who signed for which party, on
  what date). Not an electronic signature: the paper copy is signed, the head records it.

Active (``selectors.agreement_is_active``), evaluated at read time with the app clock:
concluded, not revoked, ``starts_on ≤ today ≤ ends_on``; a partner–pupil–parents agreement
also needs its school–partner agreement active. Partners see the cases whose team they are
on only while their organisation's school–partner agreement is active
(``cases.selectors.cases_visible_to``): expiry and revocation end access by themselves.
See docs/decisions/0013-agreements.md.
"""

"""Agreements (conventions) pages, for the head: list, draft, edit, signatures, the board's
approval, revocation, and the PDF for signature (marked internal on every page).

Reads go through ``agreements.selectors`` (an agreement one may not read is the same 404 as a
missing one); writes through ``agreements.services``. See docs/decisions/0013-agreements.md.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.agreements import services
from alliance.agreements.models import Agreement
from alliance.agreements.perms import can_manage_agreements
from alliance.agreements.selectors import (
    agreement_get_visible,
    agreement_is_active,
    agreements_list,
    signatures_of,
)
from alliance.audit.services import audit_record, audit_record_view
from alliance.core import clock
from alliance.core.pdf import internal_marking, render_pdf
from alliance.www.agreement_forms import (
    AgreementCreateForm,
    AgreementTermsForm,
    BoardApprovalForm,
    RevokeForm,
    SignatureForm,
)
from alliance.www.decorators import rule_required
from alliance.www.forms import add_service_errors


def _detail_url(agreement: Agreement, anchor: str = "") -> str:
    url = reverse("agreement_detail", kwargs={"public_id": agreement.public_id})
    return f"{url}#{anchor}" if anchor else url


@rule_required(can_manage_agreements)
def agreement_list(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreements = list(agreements_list(membership)[:500])
    active_ids = set(
        Agreement.objects.active()
        .filter(pk__in=[a.pk for a in agreements])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "www/agreements/list.html",
        {"agreements": agreements, "active_ids": active_ids},
    )


@rule_required(can_manage_agreements)
def agreement_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    form = AgreementCreateForm(request.POST or None, actor=membership)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = services.agreement_create(
                actor=membership,
                kind=data["kind"],
                partner_organisation=data["partner_organisation"],
                title=data["title"],
                purpose=data["purpose"],
                parties=data["parties"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                pupil=data.get("pupil"),
                parent_agreement=data.get("parent_agreement"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Agreement drafted."))
            return redirect(_detail_url(agreement))
    return render(
        request,
        "www/agreements/form.html",
        {"form": form, "agreement": None},
        status=400 if request.method == "POST" else 200,
    )


def _detail_context(request: HttpRequest, agreement: Agreement, **forms: Any) -> dict[str, Any]:
    is_open = agreement.status != "revoked"
    context: dict[str, Any] = {
        "agreement": agreement,
        "signatures": signatures_of(agreement),
        "is_active": agreement_is_active(agreement),
        "today": clock.today(),
        "can_edit": agreement.is_draft and not agreement.signatures.exists(),
        "signature_form": (forms.get("signature_form") or SignatureForm(agreement=agreement))
        if is_open
        else None,
        "board_form": (
            forms.get("board_form") or BoardApprovalForm(initial={"version": agreement.version})
        )
        if agreement.is_school_partner and agreement.is_draft
        else None,
        "revoke_form": (
            forms.get("revoke_form") or RevokeForm(initial={"version": agreement.version})
        )
        if is_open
        else None,
        "pupil_agreements": agreement.pupil_agreements.select_related("pupil").order_by(
            "-starts_on", "-pk"
        )
        if agreement.is_school_partner
        else [],
    }
    return context


def _render_detail(
    request: HttpRequest, agreement: Agreement, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request,
        "www/agreements/detail.html",
        _detail_context(request, agreement, **forms),
        status=status,
    )


@rule_required(can_manage_agreements)
def agreement_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    audit_record_view(target=agreement, membership=membership)
    return _render_detail(request, agreement)


@rule_required(can_manage_agreements)
def agreement_edit(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    if request.method == "POST":
        form = AgreementTermsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.agreement_update(
                    actor=membership,
                    agreement=agreement,
                    expected_version=data["version"] or 0,
                    title=data["title"],
                    purpose=data["purpose"],
                    parties=data["parties"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Changes saved."))
                return redirect(_detail_url(agreement))
    else:
        form = AgreementTermsForm(
            initial={
                "title": agreement.title,
                "purpose": agreement.purpose,
                "parties": agreement.parties,
                "starts_on": agreement.starts_on,
                "ends_on": agreement.ends_on,
                "version": agreement.version,
            }
        )
    return render(
        request,
        "www/agreements/form.html",
        {"form": form, "agreement": agreement},
        status=400 if request.method == "POST" else 200,
    )


@rule_required(can_manage_agreements)
def agreement_signature(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = SignatureForm(request.POST, agreement=agreement)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.agreement_signature_record(
                actor=membership,
                agreement=agreement,
                party=data["party"],
                signatory_name=data["signatory_name"],
                signatory_capacity=data["signatory_capacity"],
                signed_on=data["signed_on"],
                guardian=data.get("guardian"),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("Signature recorded."))
            return redirect(_detail_url(agreement, "signatures"))
    return _render_detail(request, agreement, status=400, signature_form=form)


@rule_required(can_manage_agreements)
def agreement_board_approval(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = BoardApprovalForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.agreement_board_approval_record(
                actor=membership,
                agreement=agreement,
                expected_version=data["version"],
                approved_on=data["approved_on"],
                reference=data["reference"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The board's approval is recorded."))
            return redirect(_detail_url(agreement, "board"))
    return _render_detail(request, agreement, status=400, board_form=form)


@rule_required(can_manage_agreements)
def agreement_revoke(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            services.agreement_revoke(
                actor=membership,
                agreement=agreement,
                expected_version=form.cleaned_data["version"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("The agreement is revoked."))
            return redirect(_detail_url(agreement))
    return _render_detail(request, agreement, status=400, revoke_form=form)


def agreement_html(agreement: Agreement) -> str:
    """The HTML fed to WeasyPrint: the agreement's terms, its parties and signature blocks."""
    return render_to_string(
        "www/agreements/agreement_pdf.html",
        {
            "agreement": agreement,
            "signatures": list(signatures_of(agreement)),
            "marking": internal_marking(),
            "generated_at": clock.now(),
        },
    )


@rule_required(can_manage_agreements)
def agreement_pdf(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    agreement = agreement_get_visible(membership, public_id)
    html = agreement_html(agreement)
    with transaction.atomic():
        audit_record(action="export", target=agreement, membership=membership)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="convention-{str(agreement.public_id)[:8]}.pdf"'
    )
    return response

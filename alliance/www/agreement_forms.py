"""Forms of the agreements pages. They validate input; ``alliance.agreements.services`` does the work.

Objects are chosen by public id: integer keys never reach the browser.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.agreements.models import (
    BOARD_REFERENCE_MAX_LENGTH,
    PARTIES_MAX_LENGTH,
    PARTIES_OF_KIND,
    PURPOSE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    SIGNATORY_MAX_LENGTH,
    Agreement,
    AgreementKind,
    AgreementParty,
)
from alliance.agreements.selectors import (
    organisations_of_school,
    school_partner_agreements_for_pupil_agreements,
)
from alliance.agreements.services import TITLE_MAX_LENGTH
from alliance.partners.models import PartnerOrganisation
from alliance.pupils.models import Guardian, Pupil
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.models import Membership
from alliance.www.forms import DateInput, DsfrBaseForm


class PupilChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Pupil) -> str:
        division = f" — {obj.division.code}" if obj.division else ""
        return f"{obj.last_name} {obj.first_name}{division}"


class ParentAgreementChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Agreement) -> str:
        return (
            f"{obj.partner_organisation.name} — {obj.title} "
            f"({obj.starts_on:%d/%m/%Y} – {obj.ends_on:%d/%m/%Y})"
        )


class AgreementTermsForm(DsfrBaseForm):
    """The terms of an agreement, as drafted and edited (while nobody has signed)."""

    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=PURPOSE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "What the partner does with the school, for which pupils, in or outside school "
            "time, and how information is exchanged (charter art. 1 and 3)."
        ),
    )
    parties = forms.CharField(
        label=_("Parties and their representatives"),
        max_length=PARTIES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AgreementCreateForm(AgreementTermsForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    partner_organisation = forms.ModelChoiceField(
        label=_("Partner organisation"),
        queryset=PartnerOrganisation.objects.none(),
        to_field_name="public_id",
    )
    pupil = PupilChoiceField(
        label=_("Pupil (partner–pupil–parents agreement only)"),
        queryset=Pupil.objects.none(),
        to_field_name="public_id",
        required=False,
    )
    parent_agreement = ParentAgreementChoiceField(
        label=_("Under the school–partner agreement (partner–pupil–parents agreement only)"),
        queryset=Agreement.objects.none(),
        to_field_name="public_id",
        required=False,
    )
    field_order = ["kind", "partner_organisation", "pupil", "parent_agreement"]

    def __init__(self, *args, actor: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_organisation"].queryset = organisations_of_school(actor.school_id)
        self.fields["pupil"].queryset = (
            pupils_visible_to(actor)
            .filter(left_on__isnull=True)
            .select_related("division")
            .order_by("last_name", "first_name", "pk")
        )
        self.fields["parent_agreement"].queryset = school_partner_agreements_for_pupil_agreements(
            actor.school_id
        )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("kind") == AgreementKind.PARTNER_PUPIL_PARENTS:
            if not data.get("pupil"):
                self.add_error("pupil", _("Choose the pupil of this agreement."))
            if not data.get("parent_agreement"):
                self.add_error(
                    "parent_agreement",
                    _("Choose the school–partner agreement this pupil agreement falls under."),
                )
        return data


class SignatureForm(DsfrBaseForm):
    party = forms.ChoiceField(label=_("Party"), choices=())
    signatory_name = forms.CharField(label=_("Signed by"), max_length=SIGNATORY_MAX_LENGTH)
    signatory_capacity = forms.CharField(
        label=_("Capacity (e.g. president of the association)"),
        max_length=SIGNATORY_MAX_LENGTH,
        required=False,
    )
    guardian = forms.ModelChoiceField(
        label=_("Guardian (parents' signature only)"),
        queryset=Guardian.objects.none(),
        to_field_name="public_id",
        required=False,
    )
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput)

    def __init__(self, *args, agreement: Agreement, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = PARTIES_OF_KIND[agreement.kind]
        self.fields["party"].choices = [c for c in AgreementParty.choices if c[0] in allowed]
        if agreement.pupil_id is None:
            del self.fields["guardian"]
        else:
            self.fields["guardian"].queryset = Guardian.objects.filter(
                pupil_id=agreement.pupil_id, school_id=agreement.school_id
            ).order_by("last_name", "pk")


class BoardApprovalForm(DsfrBaseForm):
    approved_on = forms.DateField(label=_("Date of the board meeting"), widget=DateInput)
    reference = forms.CharField(
        label=_("Reference of the deliberation"), max_length=BOARD_REFERENCE_MAX_LENGTH
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RevokeForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason for the revocation"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

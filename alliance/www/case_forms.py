"""Forms of the case pages. They validate input; ``alliance.cases.services`` does the work.

Objects are chosen by public id (``to_field_name="public_id"``): integer keys never reach the
browser, and a forged id of another pupil's or another school's object is simply not a valid
choice.
"""

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.cases.models import (
    FREE_SIGN_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    SIGN_LABEL_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    Case,
    CaseOutcome,
    ContactChannel,
    NoteAudience,
    SignCatalogueEntry,
)
from alliance.cases.perms import may_write_note_bodies
from alliance.cases.selectors import (
    case_team,
    partner_team_candidates,
    sign_catalogue,
    team_candidates,
)
from alliance.cases.services import MAX_FREE_SIGNS
from alliance.pupils.models import Guardian
from alliance.tenancy.models import Membership
from alliance.www.forms import DateInput, DsfrBaseForm


class MembershipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        name = obj.user.get_full_name() or obj.user.email
        return f"{name} — {obj.get_profession_display()}"


class GuardianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Guardian) -> str:
        return f"{obj} ({obj.get_relationship_display()})"


class SignChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: SignCatalogueEntry) -> str:
        return obj.label


class ReferralForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("What worries you"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Facts you observed, without judgement or health information. The head and the "
            "team will read it."
        ),
    )
    signs = SignChoiceField(
        label=_("Signs observed"),
        queryset=None,
        required=False,
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
    )
    free_signs = forms.CharField(
        label=_("Other signs"),
        required=False,
        max_length=MAX_FREE_SIGNS * (FREE_SIGN_MAX_LENGTH + 1),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One sign per line."),
    )

    def __init__(self, *args, school_id: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["signs"].queryset = sign_catalogue(school_id)

    def clean_free_signs(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["free_signs"].splitlines()]
        lines = [line for line in lines if line]
        if len(lines) > MAX_FREE_SIGNS:
            raise forms.ValidationError(_("At most %(n)d free-text signs.") % {"n": MAX_FREE_SIGNS})
        for line in lines:
            if len(line) > FREE_SIGN_MAX_LENGTH:
                raise forms.ValidationError(
                    _("Each sign must fit in %(n)d characters.") % {"n": FREE_SIGN_MAX_LENGTH}
                )
        return lines


class SignForm(DsfrBaseForm):
    """A new sign of the school's grid (the head's catalogue page)."""

    label = forms.CharField(label=_("New sign"), max_length=SIGN_LABEL_MAX_LENGTH)


class CaseEditForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason for the referral"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


TRANSITIONS = {
    "examine": _("Mark as examined by the GPDS"),
    "activate": _("Start the action plan"),
    "review": _("Put under review"),
    "resume": _("Resume the action plan"),
}


class TransitionForm(DsfrBaseForm):
    action = forms.ChoiceField(choices=list(TRANSITIONS.items()))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CloseForm(DsfrBaseForm):
    # "Left the school" follows from the roster (the pupil's leaving), never from this form.
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in CaseOutcome.choices if c[0] != CaseOutcome.LEFT_SCHOOL],
    )
    note = forms.CharField(
        label=_("Closing note"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class ReopenForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Why reopen this case"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class FamilyContactForm(DsfrBaseForm):
    contacted_on = forms.DateField(label=_("Date"), widget=DateInput)
    channel = forms.ChoiceField(label=_("Channel"), choices=ContactChannel.choices)
    made_by = MembershipChoiceField(
        label=_("Made by"),
        queryset=None,
        to_field_name="public_id",
        required=False,
        help_text=_("You, if left empty."),
    )
    guardian = GuardianChoiceField(
        label=_("Guardian"), queryset=None, to_field_name="public_id", required=False
    )
    reached = forms.BooleanField(label=_("The family was reached"), required=False)
    pupil_present = forms.BooleanField(label=_("The pupil was present"), required=False)
    outcome = forms.CharField(
        label=_("What was said or agreed"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["made_by"].queryset = Membership.objects.filter(
            pk__in=case.team.current().values("membership_id")
        ).select_related("user")
        self.fields["guardian"].queryset = Guardian.objects.filter(
            pupil_id=case.pupil_id, school_id=case.school_id
        )


class ExceptionForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason for the exception"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For instance: three attempts without an answer (letter, phone, ENT message)."),
    )


class ExceptionApproveForm(DsfrBaseForm):
    reason = forms.CharField(
        label=_("Reason for the exception"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Required when nobody asked for the exception; otherwise replaces its wording."
        ),
    )


class TeamAddForm(DsfrBaseForm):
    membership = MembershipChoiceField(
        label=_("Member to add"), queryset=None, to_field_name="public_id"
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        # School staff, and the partners who may join now (agreement in force, charter, parents
        # first); the service checks again.
        partners = [c.membership.pk for c in partner_team_candidates(case) if c.allowed]
        self.fields["membership"].queryset = (
            Membership.objects.filter(
                Q(pk__in=team_candidates(case).values("pk")) | Q(pk__in=partners)
            )
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )


class TeamMemberForm(DsfrBaseForm):
    """Pick a member of the current team (to remove, or to name referent)."""

    membership = MembershipChoiceField(
        label=_("Team member"), queryset=None, to_field_name="public_id"
    )

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = Membership.objects.filter(
            pk__in=case_team(case).values("membership_id")
        ).select_related("user")


class ReferentForm(DsfrBaseForm):
    membership = MembershipChoiceField(
        label=_("Referent"), queryset=None, to_field_name="public_id"
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, case: Case, **kwargs):
        super().__init__(*args, **kwargs)
        team = case_team(case).values("membership_id")
        self.fields["membership"].queryset = (
            Membership.objects.filter(Q(pk__in=team) | Q(pk__in=team_candidates(case).values("pk")))
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )


class NoteForm(DsfrBaseForm):
    """The audiences offered depend on the author; without HDS hosting a secrecy-bound
    professional gets only the summary item."""

    audience = forms.ChoiceField(label=_("Who may read it"))
    body = forms.CharField(
        label=_("Note"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 4})
    )
    is_summary_item = forms.BooleanField(
        label=_("Publish as a summary item for the team (without the note itself)"),
        required=False,
    )

    def __init__(self, *args, author: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.summary_only = author.is_secrecy_bound and not may_write_note_bodies(author)
        if self.summary_only:
            self.fields["audience"].choices = [
                (NoteAudience.TEAM, NoteAudience.TEAM.label),
                (NoteAudience.SCHOOL_STAFF_ON_TEAM, NoteAudience.SCHOOL_STAFF_ON_TEAM.label),
            ]
            self.fields["body"].label = _("Summary item for the team")
            self.fields["body"].max_length = SUMMARY_MAX_LENGTH
            self.fields["body"].widget = forms.TextInput(attrs={"maxlength": SUMMARY_MAX_LENGTH})
            self.fields["body"].validators.append(MaxLengthValidator(SUMMARY_MAX_LENGTH))
            self.fields["body"].help_text = _(
                "For instance “suivi infirmier en cours”. Without certified health hosting, "
                "your notes themselves are not stored here."
            )
            del self.fields["is_summary_item"]
        else:
            choices = [
                (NoteAudience.TEAM, NoteAudience.TEAM.label),
                (NoteAudience.SCHOOL_STAFF_ON_TEAM, NoteAudience.SCHOOL_STAFF_ON_TEAM.label),
            ]
            if author.is_secrecy_bound:
                choices.append((NoteAudience.PROFESSION, NoteAudience.PROFESSION.label))
            choices.append((NoteAudience.AUTHOR_ONLY, NoteAudience.AUTHOR_ONLY.label))
            self.fields["audience"].choices = choices
            if not author.is_secrecy_bound:
                del self.fields["is_summary_item"]

    def clean(self):
        data = super().clean()
        if self.summary_only:
            data["is_summary_item"] = True
        else:
            data.setdefault("is_summary_item", False)
        return data


class PartnerNoteForm(DsfrBaseForm):
    """A partner's note: always for the whole case team, so no audience is offered."""

    body = forms.CharField(
        label=_("Note for the whole case team"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Every member of the team reads it: the school's staff and the other partners. "
            "Write only what the team needs to know (charter art. 3b)."
        ),
    )


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(required=False)

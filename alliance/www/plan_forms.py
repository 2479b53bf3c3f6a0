"""Forms of the action plan pages. They validate input; the services do the work and check again.

Choices are addressed by public UUID: a forged id (another school's type, member or guardian)
is not among the choices and gets the field's "not a valid choice" message.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.plans.models import (
    ACTION_TYPE_LABEL_MAX_LENGTH,
    CARRIED_BY_MAX_LENGTH,
    COMMENT_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    GOAL_MAX_LENGTH,
    ActionDecision,
    ActionStatus,
    ActionType,
    AgreementChannel,
    AgreementParty,
    Frequency,
    GoalResult,
    TimeFrame,
)
from alliance.pupils.models import Guardian
from alliance.tenancy.models import Membership
from alliance.www.forms import DateInput, DsfrBaseForm


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        name = obj.user.get_full_name() or obj.user.email
        return f"{name} — {obj.get_profession_display()}"


class GuardianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Guardian) -> str:  # type: ignore[override]
        return f"{obj} ({obj.get_relationship_display()})"


def split_goals(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class GoalsField(forms.CharField):
    """Goals, one per line; each line at most ``GOAL_MAX_LENGTH`` characters."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 3}))
        kwargs.setdefault("max_length", GOAL_MAX_LENGTH * 10 + 20)
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        goals = split_goals(value)
        for goal in goals:
            if len(goal) > GOAL_MAX_LENGTH:
                raise forms.ValidationError(
                    _("Each goal fits in %(n)d characters.") % {"n": GOAL_MAX_LENGTH}
                )
        return goals


class ActionFieldsMixin(forms.Form):
    """The fields of an action, shared by the action form and the review's "new action"."""

    action_type = forms.ModelChoiceField(
        label=_("Type of action"),
        queryset=ActionType.objects.none(),
        to_field_name="public_id",
        error_messages={"invalid_choice": _("Choose a type from the school's catalogue.")},
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    time_frame = forms.ChoiceField(
        label=_("When"), choices=TimeFrame.choices, widget=forms.RadioSelect
    )
    owner = OwnerChoiceField(
        label=_("Owner"),
        queryset=Membership.objects.none(),
        to_field_name="public_id",
        help_text=_("The head or a member of the case team."),
        error_messages={
            "invalid_choice": _("The owner must be the head or a member of the case team.")
        },
    )
    carried_by = forms.CharField(
        label=_("Carried out with (outside body)"),
        max_length=CARRIED_BY_MAX_LENGTH,
        required=False,
        help_text=_("For example the association that runs the homework club."),
    )
    starts_on = forms.DateField(label=_("Start"), widget=DateInput)
    ends_on = forms.DateField(label=_("End"), widget=DateInput, required=False)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=Frequency.choices)
    review_on = forms.DateField(label=_("Review date"), widget=DateInput, required=False)

    def set_choices(self, *, action_types, owners) -> None:
        self.fields["action_type"].queryset = action_types
        self.fields["owner"].queryset = owners

    def clean(self):
        data = super().clean()
        starts_on, ends_on, review_on = (
            data.get("starts_on"),
            data.get("ends_on"),
            data.get("review_on"),
        )
        if starts_on and ends_on and ends_on < starts_on:
            self.add_error("ends_on", _("The end cannot be before the start."))
        if starts_on and review_on and review_on < starts_on:
            self.add_error("review_on", _("The review date cannot be before the start."))
        return data

    def action_values(self) -> dict:
        return {
            name: self.cleaned_data.get(name)
            for name in (
                "action_type",
                "description",
                "time_frame",
                "owner",
                "carried_by",
                "starts_on",
                "ends_on",
                "frequency",
                "review_on",
            )
        }


class ActionForm(DsfrBaseForm, ActionFieldsMixin):
    goals = GoalsField(
        label=_("Goals"),
        help_text=_("One goal per line, in words the pupil and the family understand."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, action_types=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(action_types=action_types, owners=owners)


class ActionEditForm(DsfrBaseForm, ActionFieldsMixin):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)
    new_goals = GoalsField(
        label=_("New goals"), required=False, help_text=_("One goal per line; optional.")
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, action_types=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(action_types=action_types, owners=owners)


class PlanActivateForm(DsfrBaseForm):
    next_review_on = forms.DateField(label=_("Date of the first review"), widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class AgreementForm(DsfrBaseForm):
    party = forms.ChoiceField(
        label=_("Who"), choices=AgreementParty.choices, widget=forms.RadioSelect
    )
    guardian = GuardianChoiceField(
        label=_("Guardian"),
        queryset=Guardian.objects.none(),
        to_field_name="public_id",
        required=False,
        help_text=_("For the family: which guardian."),
        error_messages={"invalid_choice": _("This guardian is not one of this pupil's guardians.")},
    )
    agreed = forms.TypedChoiceField(
        label=_("Answer"),
        choices=[("yes", _("Agrees with the plan")), ("no", _("Does not agree"))],
        coerce=lambda value: value == "yes",
        initial="yes",
    )
    agreed_on = forms.DateField(label=_("Date"), widget=DateInput)
    channel = forms.ChoiceField(label=_("How"), choices=AgreementChannel.choices)
    comment = forms.CharField(
        label=_("Comment"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, guardians=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["guardian"].queryset = (
            guardians if guardians is not None else Guardian.objects.none()
        )

    def clean(self):
        data = super().clean()
        family = data.get("party") == AgreementParty.FAMILY
        if family and not data.get("guardian") and "guardian" not in self.errors:
            self.add_error("guardian", _("Say which guardian agreed."))
        return data


class NewActionForm(ActionFieldsMixin, DsfrBaseForm):
    """The review's optional new action: every field optional until a type is chosen."""

    goals = GoalsField(label=_("Goals"), required=False, help_text=_("One goal per line."))

    def __init__(self, *args, action_types=None, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(action_types=action_types, owners=owners)
        for field in self.fields.values():
            field.required = False

    def is_requested(self) -> bool:
        return bool(self.cleaned_data.get("action_type"))

    def clean(self):
        data = super().clean()
        if data.get("action_type"):
            for name in ("time_frame", "owner", "starts_on", "frequency"):
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, _("This field is required."))
            if not data.get("goals") and "goals" not in self.errors:
                self.add_error("goals", _("Give at least one goal."))
        return data


def goal_field_name(goal) -> str:
    return f"goal_{goal.public_id}"


def decision_field_name(action) -> str:
    return f"action_{action.public_id}"


class ReviewForm(DsfrBaseForm):
    held_on = forms.DateField(label=_("Date of the review"), widget=DateInput)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=COMMENT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Facts observed since the last review (absences, results…)."),
    )
    next_review_on = forms.DateField(label=_("Next review"), widget=DateInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.actions = list(actions)
        kept = [
            (ActionDecision.CONTINUED.value, ActionDecision.CONTINUED.label),
            (ActionDecision.STOPPED.value, ActionDecision.STOPPED.label),
        ]
        for action in self.actions:
            for goal in action.goals.all():
                self.fields[goal_field_name(goal)] = forms.ChoiceField(
                    label=_("Goal “%(goal)s”") % {"goal": goal.text},
                    choices=GoalResult.choices,
                    widget=forms.RadioSelect,
                )
            self.fields[decision_field_name(action)] = forms.ChoiceField(
                label=_("Action “%(type)s”: continue or stop?")
                % {"type": action.action_type.label},
                choices=kept,
                widget=forms.RadioSelect,
            )

    def clean(self):
        data = super().clean()
        held_on, next_review_on = data.get("held_on"), data.get("next_review_on")
        if held_on and next_review_on and next_review_on <= held_on:
            self.add_error("next_review_on", _("The next review must come after this one."))
        return data

    def assessments(self) -> dict[int, str]:
        return {
            goal.pk: self.cleaned_data[goal_field_name(goal)]
            for action in self.actions
            for goal in action.goals.all()
        }

    def decisions(self) -> dict[int, str]:
        return {a.pk: self.cleaned_data[decision_field_name(a)] for a in self.actions}


class ActionTypeForm(DsfrBaseForm):
    label = forms.CharField(label=_("New type of action"), max_length=ACTION_TYPE_LABEL_MAX_LENGTH)
    usually_outside_school_time = forms.BooleanField(
        label=_("Usually outside school time"), required=False
    )

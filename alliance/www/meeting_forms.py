"""Forms of the meeting pages. They validate input; the services do the work and check again.

Choices are addressed by public UUID (``to_field_name``): integer keys never reach a page.
A forged id (another school's member or case, a member who cannot be convened) is not
among the choices and gets the field's "not a valid choice" message.
"""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance.cases.models import Case
from alliance.meetings.models import (
    MAX_DURATION_MINUTES,
    MIN_DURATION_MINUTES,
    MINUTES_TEXT_MAX_LENGTH,
    PLACE_MAX_LENGTH,
    AgendaItem,
    Attendance,
    MeetingParticipant,
)
from alliance.tenancy.models import Membership
from alliance.www.forms import DateInput, DsfrBaseForm


class TimeInput(forms.TimeInput):
    input_type = "time"


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Membership) -> str:  # type: ignore[override]
        name = obj.user.get_full_name() or obj.user.email
        return f"{name} — {obj.get_profession_display()}"


class CaseChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Case) -> str:  # type: ignore[override]
        division = obj.pupil.division.code if obj.pupil.division else "—"
        return f"{obj.pupil.last_name} {obj.pupil.first_name} ({division}) — {obj.get_status_display()}"


class MeetingForm(DsfrBaseForm):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    time = forms.TimeField(label=_("Time"), widget=TimeInput)
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=MIN_DURATION_MINUTES,
        max_value=MAX_DURATION_MINUTES,
        initial=60,
    )
    place = forms.CharField(label=_("Place"), max_length=PLACE_MAX_LENGTH)
    members = MemberChoiceField(
        label=_("Convened members"),
        queryset=Membership.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only members whose membership is in force and who adhered to the current charter."
        ),
        error_messages={"invalid_choice": _("One of the members cannot be convened.")},
    )
    cases = CaseChoiceField(
        label=_("Agenda"),
        queryset=Case.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only open cases whose family was reached, or for which you approved an exception "
            "(parents first)."
        ),
        error_messages={
            "invalid_choice": _("One of the situations cannot be put on the agenda."),
            "required": _("Put at least one situation on the agenda."),
        },
    )
    family_invited = CaseChoiceField(
        label=_("Families invited"),
        queryset=Case.objects.none(),
        to_field_name="public_id",
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Tick the situations whose family is invited to the meeting."),
        error_messages={"invalid_choice": _("One of the situations is not on the agenda.")},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, members=None, cases=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = (
            members if members is not None else Membership.objects.none()
        )
        self.fields["cases"].queryset = cases if cases is not None else Case.objects.none()
        self.fields["family_invited"].queryset = self.fields["cases"].queryset

    def clean(self):
        data = super().clean()
        day, time = data.get("date"), data.get("time")
        if day is not None and time is not None:
            data["starts_at"] = timezone.make_aware(dt.datetime.combine(day, time))
        invited, cases = data.get("family_invited"), data.get("cases")
        if invited and cases is not None and set(invited) - set(cases):
            self.add_error(
                "family_invited", _("A family can be invited only for a situation on the agenda.")
            )
        return data


def attendance_field_name(participant: MeetingParticipant) -> str:
    return f"attendance_{participant.public_id}"


def family_field_name(item: AgendaItem) -> str:
    return f"family_{item.public_id}"


FAMILY_PRESENT_CHOICES = [("", _("Not recorded")), ("yes", _("Present")), ("no", _("Absent"))]


class AttendanceForm(DsfrBaseForm):
    """One choice per convened member, and per situation whose family was invited."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, participants=(), items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.participants = list(participants)
        self.items = list(items)
        recorded = [(v, label) for v, label in Attendance.choices if v != Attendance.CONVENED]
        for participant in self.participants:
            user = participant.membership.user
            self.fields[attendance_field_name(participant)] = forms.ChoiceField(
                label=f"{user.get_full_name() or user.email} — {participant.membership.get_profession_display()}",
                choices=recorded,
                initial=participant.attendance
                if participant.attendance != Attendance.CONVENED
                else None,
                widget=forms.RadioSelect,
            )
        for item in self.items:
            pupil = item.case.pupil
            initial = {True: "yes", False: "no"}.get(item.family_present, "")  # type: ignore[arg-type]
            self.fields[family_field_name(item)] = forms.ChoiceField(
                label=_("Family of %(name)s") % {"name": f"{pupil.first_name} {pupil.last_name}"},
                choices=FAMILY_PRESENT_CHOICES,
                initial=initial,
                required=False,
            )

    def attendance(self) -> dict[int, str]:
        return {
            p.membership_id: self.cleaned_data[attendance_field_name(p)] for p in self.participants
        }

    def family_present(self) -> dict[int, bool | None]:
        values = {"yes": True, "no": False, "": None}
        return {i.pk: values[self.cleaned_data.get(family_field_name(i)) or ""] for i in self.items}


class AgendaItemForm(DsfrBaseForm):
    situation_summary = forms.CharField(
        label=_("Situation summary"),
        max_length=MINUTES_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Facts only, what the team needs to know. No health or social detail."),
    )
    decisions = forms.CharField(
        label=_("Decisions"),
        max_length=MINUTES_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    next_steps = forms.CharField(
        label=_("Next steps"),
        max_length=MINUTES_TEXT_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

"""Forms of the web layer. They validate input; the services do the work."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from dsfr.forms import DsfrBaseForm as _DsfrBaseForm

from alliance.pupils.imports.pipeline import MAX_FILE_SIZE
from alliance.pupils.models import GuardianRelationship
from alliance.tenancy.models import Division


class DsfrBaseForm(_DsfrBaseForm):
    """django-dsfr's form, marking optional fields (the DSFR's current guidance).

    We set the context ourselves: django-dsfr's own ``get_context`` warns either
    way during its transition, and warnings are errors in our tests.
    """

    def get_context(self) -> dict:
        context = forms.Form.get_context(self)
        context["DSFR_MARK_OPTIONAL_FIELDS"] = True
        return context

    def full_clean(self) -> None:
        super().full_clean()
        # django-dsfr's template shows no error of a hidden field (a version, a forged value):
        # say it at the top of the form, or the page comes back without a word.
        if any(bound.errors for bound in self.hidden_fields()):
            self.add_error(None, _("Invalid request: reload the page and try again."))


def add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


class DateInput(forms.DateInput):
    input_type = "date"


class PupilForm(DsfrBaseForm):
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    birth_date = forms.DateField(label=_("Birth date"), widget=DateInput)
    division = forms.ModelChoiceField(
        label=_("Division"), queryset=Division.objects.none(), required=False
    )
    national_id = forms.CharField(
        label=_("National pupil id (INE)"),
        max_length=11,
        required=False,
        help_text=_("Only if the school provides it."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = Division.objects.filter(school=school).order_by("code")


class GuardianForm(DsfrBaseForm):
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    relationship = forms.ChoiceField(label=_("Relationship"), choices=GuardianRelationship.choices)
    legal_responsibility = forms.BooleanField(
        label=_("Holds legal responsibility"), required=False, initial=True
    )
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    address = forms.CharField(label=_("Postal address"), widget=forms.Textarea, required=False)


class CharterPublishForm(DsfrBaseForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 24}))


class BoardPresentationForm(DsfrBaseForm):
    presented_on = forms.DateField(label=_("Date of the board meeting"), widget=DateInput)
    minutes_reference = forms.CharField(label=_("Reference of the minutes"), max_length=100)


class RosterImportForm(DsfrBaseForm):
    file = forms.FileField(
        label=_("Roster file"),
        help_text=_(
            "SIECLE export (the ExportXML zip, ElevesSansAdresses.xml, "
            "ResponsablesAvecAdresses.xml, or the “Élèves complète” spreadsheet), a Pronote "
            "list (CSV), or Alliance's roster CSV. Nothing is written before you confirm."
        ),
    )
    full_list = forms.BooleanField(
        label=_(
            "Pronote lists only: this list holds every pupil of the school (those missing from "
            "it are marked as having left)"
        ),
        required=False,
        initial=False,
    )

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is larger than %(max)s MB.") % {"max": MAX_FILE_SIZE // 1024 // 1024}
            )
        return upload

"""Forms of the observation grid and of its catalogue. ``alliance.detection.observations`` does the work."""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.cases.models import SignCatalogueEntry
from alliance.core import clock
from alliance.detection.observations import grid_signs
from alliance.tenancy.models import School
from alliance.www.forms import DateInput, DsfrBaseForm


class GridSignField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: SignCatalogueEntry) -> str:
        return obj.label


class ObservationForm(DsfrBaseForm):
    signs = GridSignField(
        label=_("Signs observed"),
        queryset=SignCatalogueEntry.objects.none(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "What you saw yourself. Absences, lateness and results are counted from the "
            "imported data: no need to note them."
        ),
    )
    observed_on = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args, school: School, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("observed_on", clock.today())
        super().__init__(*args, **kwargs)
        self.fields["signs"].queryset = grid_signs(school)

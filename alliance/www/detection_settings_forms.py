"""Forms of the detection settings: capacity and readers, one indicator's rule, a rules file.

They check the shape of the input; the rule set itself is validated by the engine
(``alliance.detection.engine``) through ``alliance.detection.school_settings``.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.detection.school_settings import MAX_CAPACITY, WATCHLIST_PROFESSION_CHOICES
from alliance.tenancy.models import Profession
from alliance.www.forms import DsfrBaseForm

#: A rules file is a few kilobytes; anything much larger is not one.
MAX_RULES_FILE_SIZE = 256 * 1024


class DetectionSettingsForm(DsfrBaseForm):
    capacity = forms.IntegerField(
        label=_("Situations the team can examine"),
        min_value=1,
        max_value=MAX_CAPACITY,
        help_text=_(
            "The watchlist marks a line after this many pupils: those the GPDS can examine "
            "in the coming weeks."
        ),
    )
    professions = forms.MultipleChoiceField(
        label=_("Besides the head, who reads the watchlist"),
        choices=[(p, Profession(p).label) for p in WATCHLIST_PROFESSION_CHOICES],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class IndicatorRuleForm(DsfrBaseForm):
    enabled = forms.BooleanField(label=_("Indicator used"), required=False)
    vigilance = forms.FloatField(label=_("Vigilance threshold"))
    alerte = forms.FloatField(label=_("Alert threshold"))
    weight = forms.FloatField(
        label=_("Weight in the score"),
        help_text=_("How much this indicator counts when the pupils are ranked."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RulesFileForm(DsfrBaseForm):
    file = forms.FileField(
        label=_("Rules file"),
        help_text=_(
            "A .toml or .json file in the format of the file you can download here. Keys left "
            "out take the documented defaults. Nothing is saved if the file has a problem."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RULES_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is larger than %(max)s kB.") % {"max": MAX_RULES_FILE_SIZE // 1024}
            )
        if not upload.name.lower().endswith((".toml", ".json")):
            raise forms.ValidationError(_("A rules file ends in .toml or .json."))
        return upload


class VersionForm(DsfrBaseForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

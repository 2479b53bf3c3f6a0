"""Forms of the events import: the upload, and the column mapping (one select per field)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance.detection.fields import fields_for
from alliance.detection.mapping import Mapping, check_mapping
from alliance.detection.models import EventKind
from alliance.detection.tables import MAX_FILE_BYTES, Table
from alliance.www.forms import DsfrBaseForm


class EventUploadForm(DsfrBaseForm):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=EventKind.choices)
    file = forms.FileField(
        label=_("File exported from the vie-scolaire software"),
        help_text=_(
            "CSV (separated by “;” or “,”, UTF-8 or Windows-1252) or Excel .xlsx, with a header "
            "row. Pronote, GEPI, EcoleDirecte, Skolengo and Sconet exports are recognised."
        ),
    )
    period = forms.CharField(
        label=_("Period"),
        max_length=32,
        required=False,
        help_text=_(
            "For marks and per-pupil counts whose file has no period column, e.g. “Trimestre 1”."
        ),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(size)s MB."),
                params={"size": MAX_FILE_BYTES // (1024 * 1024)},
            )
        return upload


NOT_IN_FILE = ""


class ColumnMappingForm(DsfrBaseForm):
    """One select per field Alliance reads, listing the file's columns."""

    def __init__(self, *args: Any, kind: str, table: Table, period_given: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.table = table
        self.period_given = period_given
        choices = [(NOT_IN_FILE, _("— not in the file —"))] + [
            (str(index), table.column_label(index)) for index in range(len(table.headers))
        ]
        for target in fields_for(kind):
            label = f"{target.label} ({_('required')})" if target.required else target.label
            self.fields[target.name] = forms.ChoiceField(
                label=label,
                choices=choices,
                required=False,
                help_text=target.help_text,
            )

    @classmethod
    def initial_for(cls, mapping: Mapping) -> dict[str, str]:
        return {name: str(index) for name, index in mapping.items()}

    def posted_mapping(self) -> Mapping:
        """The mapping as posted, even when invalid (for the preview)."""
        mapping: Mapping = {}
        for target in fields_for(self.kind):
            value = self.data.get(target.name, NOT_IN_FILE)
            if isinstance(value, str) and value.isdigit() and int(value) < len(self.table.headers):
                mapping[target.name] = int(value)
        return mapping

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        mapping = {name: int(value) for name, value in cleaned.items() if value != NOT_IN_FILE}
        for problem in check_mapping(
            self.kind, mapping, self.table.headers, period_given=self.period_given
        ):
            self.add_error(None, problem)
        self.mapping = mapping
        return cleaned

"""Forms of the partner pages. They validate input; ``alliance.partners.services`` does the work."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alliance.partners.models import PartnerKind, PartnerPersonKind
from alliance.www.forms import DateInput, DsfrBaseForm


class OrganisationRegisterForm(DsfrBaseForm):
    siret = forms.CharField(
        label=_("SIRET number"),
        max_length=20,
        required=False,
        help_text=_(
            "Optional. 14 digits. If the organisation is already known to Alliance under this "
            "number, it is found and registered with your school as it is."
        ),
    )
    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=PartnerKind.choices)
    admin_email = forms.EmailField(
        label=_("E-mail address of its administrator"),
        required=False,
        help_text=_(
            "The person who will invite the organisation's professionals and volunteers. "
            "Required for an organisation new to Alliance; they get an invitation by e-mail."
        ),
    )


class AdminInviteForm(DsfrBaseForm):
    email = forms.EmailField(label=_("E-mail address of the administrator"))


class InviteForm(DsfrBaseForm):
    email = forms.EmailField(label=_("E-mail address"))
    kind = forms.ChoiceField(
        label=_("As"),
        choices=PartnerPersonKind.choices,
        initial=PartnerPersonKind.PROFESSIONAL,
        widget=forms.RadioSelect,
    )
    is_admin = forms.BooleanField(
        label=_("Also an administrator of the organisation"), required=False
    )


class GrantForm(DsfrBaseForm):
    person = forms.UUIDField(widget=forms.HiddenInput)
    valid_until = forms.DateField(
        label=_("Until (optional)"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty for no end date; you can end it at any time."),
    )


class NewAccountForm(DsfrBaseForm):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 12 characters, not too common, not all digits."),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            raise ValidationError({"password2": _("The two passwords differ.")})
        return data

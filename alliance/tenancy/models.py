"""Schools (the tenants), school years, divisions, and memberships.

Every table holding school data carries ``school`` as its tenant key, so an
académie deployment can later be sharded by school.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance.core import clock
from alliance.core.models import PublicIdModel, TimestampedModel
from alliance.tenancy.uai import validate_uai


class SchoolType(models.TextChoices):
    COLLEGE = "college", _("Collège")
    LYCEE = "lycee", _("Lycée")
    LP = "lp", _("Lycée professionnel")


class School(PublicIdModel, TimestampedModel):
    name = models.CharField(_("name"), max_length=200)
    uai = models.CharField(_("UAI code"), max_length=8, unique=True, validators=[validate_uai])
    school_type = models.CharField(_("type"), max_length=16, choices=SchoolType.choices)
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SchoolYear(TimestampedModel):
    """A school year (e.g. 2026-2027), from its first to its last day."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="years")
    label = models.CharField(_("label"), max_length=9)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school", "label"], name="school_year_unique_label"),
            models.CheckConstraint(
                condition=Q(ends_on__gt=models.F("starts_on")), name="school_year_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Division(TimestampedModel):
    """A class (division) of a school year: 4e B, 2nde MRC 1…"""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="divisions")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="divisions")
    code = models.CharField(_("code"), max_length=32)
    level = models.CharField(_("level"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "code"], name="division_unique_code_per_year"
            )
        ]

    def __str__(self) -> str:
        return self.code


class Role(models.TextChoices):
    HEAD = "head", _("Head of school")
    STAFF = "staff", _("School staff")
    PARTNER = "partner", _("Partner")
    DISTRICT = "district", _("Académie officer")
    ADMIN = "admin", _("Technical administrator")


class Profession(models.TextChoices):
    PRINCIPAL = "principal", _("Head of school (chef d’établissement)")
    DEPUTY = "deputy", _("Deputy head (adjoint)")
    CPE = "cpe", _("CPE")
    TEACHER = "teacher", _("Teacher")
    FORM_TUTOR = "form_tutor", _("Form tutor (professeur principal)")
    DROPOUT_REFERENT = "dropout_referent", _("Dropout referent")
    PSYEN = "psyen", _("School psychologist (PsyEN)")
    NURSE = "nurse", _("School nurse")
    SOCIAL_WORKER = "social_worker", _("Social worker")
    DOCTOR = "doctor", _("School doctor")
    PARTNER_PROFESSIONAL = "partner_professional", _("Partner professional")
    VOLUNTEER = "volunteer", _("Volunteer")
    DISTRICT_OFFICER = "district_officer", _("Académie dropout officer")
    TECHNICAL_ADMIN = "technical_admin", _("Technical administrator")


#: Professions bound by professional secrecy (health, social, psychology).
SECRECY_BOUND_PROFESSIONS = frozenset(
    {Profession.PSYEN, Profession.NURSE, Profession.SOCIAL_WORKER, Profession.DOCTOR}
)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def live(self, on: dt.date | None = None) -> "MembershipQuerySet":
        """Memberships in force on ``on`` (today by default) of active users."""
        day = on or clock.today()
        return self.filter(
            Q(valid_until__isnull=True) | Q(valid_until__gte=day),
            valid_from__lte=day,
            user__is_active=True,
        )

    def for_user(self, user: "settings.AUTH_USER_MODEL") -> "MembershipQuerySet":  # type: ignore[name-defined]
        return self.filter(user=user)


class Membership(PublicIdModel, TimestampedModel):
    """What one person is in one school: a role, a profession, validity dates."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships"
    )
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    profession = models.CharField(_("profession"), max_length=32, choices=Profession.choices)
    partner_organisation = models.ForeignKey(
        "partners.PartnerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "school", "role", "profession"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="membership_valid_dates",
            ),
            models.CheckConstraint(
                condition=~Q(role="partner") | Q(partner_organisation__isnull=False),
                name="membership_partner_has_organisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.school}"

    def is_live(self, on: dt.date | None = None) -> bool:
        day = on or clock.today()
        return (
            self.user.is_active
            and self.valid_from <= day
            and (self.valid_until is None or self.valid_until >= day)
        )

    @property
    def is_secrecy_bound(self) -> bool:
        return self.profession in SECRECY_BOUND_PROFESSIONS

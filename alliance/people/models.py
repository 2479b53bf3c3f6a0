"""People who log in. What they may do depends on their memberships (``tenancy``)."""

from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from alliance.core.models import PublicIdModel


class AllianceUserManager(UserManager["User"]):
    def create_user(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("username", email)
        return super().create_user(email=email, password=password, **extra_fields)

    def create_superuser(self, email=None, password=None, **extra_fields):  # type: ignore[override]
        extra_fields.setdefault("username", email)
        return super().create_superuser(email=email, password=password, **extra_fields)


class User(PublicIdModel, AbstractUser):
    """A person with one login, who may serve several schools through memberships.

    The e-mail address is the login. Being a Django superuser gives no access to
    pupils: every read of pupil data goes through a membership.
    """

    email = models.EmailField(_("e-mail address"), unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[AllianceUserManager] = AllianceUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.get_full_name() or self.email

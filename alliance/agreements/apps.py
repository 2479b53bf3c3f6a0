from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AgreementsConfig(AppConfig):
    name = "alliance.agreements"
    label = "agreements"
    verbose_name = _("Agreements (conventions)")

    def ready(self) -> None:
        from alliance.agreements import perms  # noqa: F401  (registers the rules)

from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "alliance.vault"
    label = "vault"
    verbose_name = "Encryption at rest"

    def ready(self) -> None:
        from alliance.vault import checks  # noqa: F401 (registers the system check)

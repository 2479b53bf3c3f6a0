from django.apps import AppConfig


class BackupsConfig(AppConfig):
    name = "alliance.backups"
    label = "backups"
    verbose_name = "Backup and restore"

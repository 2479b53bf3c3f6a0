from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "alliance.privacy"
    label = "privacy"

from django.apps import AppConfig


class CharterConfig(AppConfig):
    name = "alliance.charter"
    label = "charter"

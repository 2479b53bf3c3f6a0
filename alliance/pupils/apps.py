from django.apps import AppConfig


class PupilsConfig(AppConfig):
    name = "alliance.pupils"
    label = "pupils"

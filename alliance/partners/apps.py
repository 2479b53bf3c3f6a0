from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "alliance.partners"
    label = "partners"

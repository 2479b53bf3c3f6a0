from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "alliance.cases"
    label = "cases"

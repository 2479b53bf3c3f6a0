from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "alliance.tenancy"
    label = "tenancy"

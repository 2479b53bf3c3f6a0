from django.apps import AppConfig


class WwwConfig(AppConfig):
    name = "alliance.www"
    label = "www"

from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "alliance.people"
    label = "people"

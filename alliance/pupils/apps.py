from django.apps import AppConfig


class PupilsConfig(AppConfig):
    name = "alliance.pupils"
    label = "pupils"

    def ready(self) -> None:
        # Registers the roster-import job handler with alliance.jobs.
        from alliance.pupils import jobs  # noqa: F401

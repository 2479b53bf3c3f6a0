from django.apps import AppConfig


class DetectionConfig(AppConfig):
    name = "alliance.detection"
    label = "detection"

    def ready(self) -> None:
        # Registers the event-import job handler with alliance.jobs.
        from alliance.detection import jobs  # noqa: F401

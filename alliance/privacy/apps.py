from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "alliance.privacy"
    label = "privacy"

    def ready(self) -> None:
        from alliance.privacy.leaving import close_cases_of_leaving_pupil
        from alliance.pupils.signals import pupil_left

        pupil_left.connect(close_cases_of_leaving_pupil, dispatch_uid="privacy.leaving")

"""``manage.py privacy_register``: publish the data classification register in ``docs/``."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from alliance.privacy.register_doc import DOCUMENT_PATH, document_path, render


class Command(BaseCommand):
    help = (
        f"Write {DOCUMENT_PATH} from alliance/privacy/register.py; with --check, fail instead "
        "when the published file is out of date."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; fail if the published register differs from the register.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = document_path()
        text = render()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if options["check"]:
            if current != text:
                raise CommandError(
                    f"{DOCUMENT_PATH} is out of date: run `manage.py privacy_register`."
                )
            self.stdout.write(self.style.SUCCESS(f"{DOCUMENT_PATH} is up to date."))
            return
        if current == text:
            self.stdout.write(f"{DOCUMENT_PATH} already up to date.")
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"wrote {DOCUMENT_PATH}"))

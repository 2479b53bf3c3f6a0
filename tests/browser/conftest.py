"""Browser tests: Playwright's sync API drives Debian's /usr/bin/chromium against ``live_server``.

- Only Debian's chromium is used (never a browser that Playwright downloads). When it is
  missing, the browser tests are skipped on a developer's machine and fail when ``CI=true``.
- Each test gets a fresh, empty profile directory and a headless browser that makes no
  background connection (this machine has no network).
- ``live_server`` runs on a transactional database that is flushed after each test (see
  ``transactional_db`` in tests/conftest.py for the audit triggers). Browser tests create
  their data in the test itself and take no ``django_db`` mark nor ``db``-based fixture.
"""

import os
from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 15_000


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def chromium_executable() -> Path:
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


@pytest.fixture
def page(chromium_executable, live_server, tmp_path, monkeypatch):
    """A Playwright page in a fresh headless chromium; closed before the database is flushed."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test's thread, under which
    # Django's ORM refuses to run unless told it is safe. It is: the loop is Playwright's
    # and the test's ORM calls are plain synchronous ones. Set for browser tests only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            user_data_dir=str(profile),
            executable_path=str(chromium_executable),
            headless=True,
            args=CHROMIUM_ARGS,
            locale="fr-FR",
            timezone_id="Europe/Paris",
        )
        try:
            context.set_default_timeout(TIMEOUT_MS)
            browser_page = context.pages[0] if context.pages else context.new_page()
            yield browser_page
        finally:
            context.close()
            # Under Playwright's running loop, Django keeps the test's database connections
            # apart from the thread's usual ones; close them here, or they outlive the test
            # and PostgreSQL refuses to drop the test database at the end of the session.
            connections.close_all()

"""Settings for the test suite: the application's own, with test-only switches."""

import os

os.environ.setdefault("ALLIANCE_TESTING", "1")

from alliance.settings import *  # noqa: F403

# Fast hashing in tests only; production keeps Argon2 first.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# Background jobs run inline in tests (django-tasks' immediate backend).
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# A fixed master key for encryption at rest (tests that need a wrong one override it).
ALLIANCE_MASTER_KEY = "dGVzdC1tYXN0ZXIta2V5LWZvci1hbGxpYW5jZS10ZXM="
ALLIANCE_MASTER_KEY_FILE = ""

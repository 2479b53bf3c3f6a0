"""System check: the configured master key is usable."""

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


@checks.register(checks.Tags.security)
def master_key_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from alliance.vault import crypto

    configured = getattr(settings, "ALLIANCE_MASTER_KEY", "") or getattr(
        settings, "ALLIANCE_MASTER_KEY_FILE", ""
    )
    if not configured:
        if settings.DEBUG:
            return []  # the development key under VAR_DIR is made on first use
        return [
            checks.Error(
                "No master key for encryption at rest.",
                hint="Set ALLIANCE_MASTER_KEY or ALLIANCE_MASTER_KEY_FILE.",
                id="vault.E001",
            )
        ]
    try:
        crypto.master_key()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="vault.E002")]
    return []

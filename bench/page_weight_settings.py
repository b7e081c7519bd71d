"""Settings for bench/page_weight.py: the local settings with static files as production serves
them (portfolio/settings/production.py): collected, hashed, gzip and brotli, by WhiteNoise."""

from __future__ import annotations

from portfolio.settings.base import *  # noqa: F403

DEBUG = False
WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

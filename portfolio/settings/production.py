"""Production settings: everything in base.py, plus loud failures and HTTPS hardening."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .env import env_bool, env_int, env_list, env_required

DEBUG = False
IS_PRODUCTION = True
SECRET_KEY = env_required("SECRET_KEY")
if len(SECRET_KEY) < 50 or SECRET_KEY.startswith("insecure"):
    raise ImproperlyConfigured("SECRET_KEY must be a random string of at least 50 characters")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production (comma-separated)")

SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True

WHITENOISE_USE_FINDERS = False
WHITENOISE_AUTOREFRESH = False
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Password resets must reach people: the console backend of local runs is refused here.
if MAILERS["default"]["BACKEND"].startswith("django.core.mail.backends.console"):  # noqa: F405
    raise ImproperlyConfigured(
        "EMAIL_HOST must be set in production (the SMTP server that sends password resets)"
    )

# Invitation and notification emails link back to the site: a local address would mislead.
CAIRN_SITE_URL = env_required("CAIRN_SITE_URL").rstrip("/")
if not CAIRN_SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("CAIRN_SITE_URL must be the site's https:// address")

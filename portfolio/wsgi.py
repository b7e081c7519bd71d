"""WSGI entry point (gunicorn portfolio.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.base")

application = get_wsgi_application()

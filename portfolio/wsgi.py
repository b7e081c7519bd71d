"""WSGI entry point (gunicorn portfolio.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from portfolio.allocator import tune_allocator

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.base")

# Large uploads stream through 1 MiB chunks: keep those off mmap (portfolio/allocator.py).
tune_allocator()

application = get_wsgi_application()

"""WSGI entry point (gunicorn portfolio.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from portfolio.server.allocator import tune_allocator
from portfolio.server.body import large_bodies_off_the_socket

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio.settings.base")

# Large uploads stream through 512 KiB chunks: keep those off mmap (portfolio/server/allocator.py).
tune_allocator()

# A large body under gunicorn is read straight off its socket (portfolio/server/body.py).
application = large_bodies_off_the_socket(get_wsgi_application())

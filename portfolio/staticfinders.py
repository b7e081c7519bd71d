"""Serve the plotly.js bundle that the plotly Python package ships, as a static file.

The app must work offline (no CDN), and copying a 4.6 MB bundle into the repository would let
it drift from the installed plotly; this finder exposes just that one file at
static/vendor/plotly.min.js.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

BUNDLE = "plotly.min.js"
PREFIX = "vendor"


class PlotlyBundleFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(plotly.__file__).parent / "package_data"
        self.storage = FileSystemStorage(location=str(self.directory))
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        if path == f"{PREFIX}/{BUNDLE}" and (self.directory / BUNDLE).exists():
            match = str(self.directory / BUNDLE)
            return [match] if find_all else match
        return [] if find_all else None

    def list(self, ignore_patterns):
        if (self.directory / BUNDLE).exists():
            yield BUNDLE, self.storage

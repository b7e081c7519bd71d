"""Experiment-result files to normalised runs: plain Python over files, pandas and numpy.

Nothing here knows Django. `parse(files)` detects the format (or takes the one named), checks
sizes and zips before reading, and returns a ParseResult (runs with params, tags and metric
series as numpy arrays, and a Report of rows read, accepted, rejected and warnings). Input that
cannot be imported raises ImportFailed, whose message is written for the user.
"""

from __future__ import annotations

from .choices import DATE_ORDERS, ROLES, Choices
from .companions import group_uploads, kind_of
from .data import InputFile, ParseResult, RunData
from .formats import FORMATS, IMPORTER_VERSION, ImportFailed
from .limits import Limits
from .names import clean_path
from .pipeline import detect_format, parse
from .report import Decision, Rejection, Report
from .series import Series

__all__ = [
    "DATE_ORDERS",
    "FORMATS",
    "IMPORTER_VERSION",
    "ROLES",
    "Choices",
    "Decision",
    "ImportFailed",
    "InputFile",
    "Limits",
    "ParseResult",
    "Rejection",
    "Report",
    "RunData",
    "Series",
    "clean_path",
    "detect_format",
    "group_uploads",
    "kind_of",
    "parse",
]

"""Evidence links: a web address, or a path on this site such as an imported run's page.

Browsers drop tabs and newlines inside a URL and read "\\" as "/", so "/\\t/evil.example/" and
"/\\\\evil.example" are links to another site that look like paths: a site path is one "/"
followed by anything but another slash, without whitespace or control characters. The same rule
checks links on input (the validator) and again on output (`safe_link`), for rows written before.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_url = URLValidator(schemes=["http", "https"])

SITE_PATH_HELP = (
    "A path on this site starts with one “/” (like /projects/…); a link to another site "
    "starts with https://."
)


def _plain(value: str) -> bool:
    return value.isprintable() and not any(c.isspace() for c in value)


def is_site_path(value: str) -> bool:
    return (
        value.startswith("/")
        and value[1:2] not in ("/", "\\")
        and "\\" not in value
        and _plain(value)
    )


def is_web_address(value: str) -> bool:
    if not _plain(value) or not value.lower().startswith(("http://", "https://")):
        return False
    try:
        _url(value)
    except ValidationError:
        return False
    return True


def safe_link(value: str | None) -> str:
    """value when it is an http(s) address or a path on this site, else "" (never a link)."""
    value = value or ""
    return value if is_site_path(value) or is_web_address(value) else ""


def validate_evidence_link(value: str) -> None:
    if not value or is_site_path(value):
        return
    if value[:1] in ("/", "\\"):
        raise ValidationError(SITE_PATH_HELP, code="invalid")
    if not is_web_address(value):
        raise ValidationError("Enter a valid URL.", code="invalid")

"""Evidence links: a web address, or a path on this site such as an imported run's page."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

_url = URLValidator(schemes=["http", "https"])


def is_site_path(value: str) -> bool:
    # "//host/..." is a link to another site, not a path on this one.
    return value.startswith("/") and not value.startswith("//") and "\\" not in value


def validate_evidence_link(value: str) -> None:
    if not value or is_site_path(value):
        return
    try:
        _url(value)
    except ValidationError:
        raise ValidationError("Enter a valid URL.", code="invalid") from None

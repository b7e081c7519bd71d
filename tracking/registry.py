"""The table of MLflow calls Cairn serves: (method, path) -> handler, filled by the handler
modules (tracking/handlers/) with @handles, read by tracking.views.endpoint."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest

from . import auth, services
from .protocol import Body

Handler = Callable[[HttpRequest, Body], dict]
ENDPOINTS: dict[tuple[str, str], Handler] = {}


def handles(method: str, *paths: str):
    def register(handler: Handler) -> Handler:
        for path in paths:
            ENDPOINTS[(method, path)] = handler
        return handler

    return register


def source_of(request: HttpRequest) -> services.Source:
    """Who logs, for provenance: the token's owner and prefix, the client and its host."""
    return services.Source(
        user=request.user,
        token_prefix=request.api_token.prefix,
        client=auth.client_of(request),
        host=auth.host_of(request),
    )

"""The address of the person at the other end of a request, also behind reverse proxies.

Each proxy appends the address it was reached from to X-Forwarded-For, so behind N proxies the
client is the N-th entry from the right; anything further left was written by the client and can
be forged. CAIRN_PROXY_COUNT (env AXES_PROXY_COUNT) says how many proxies to trust: 0 reads the
socket address only. django-ipware does the parsing; its proxy_count counts the hops listed in
the header besides the client, one fewer than the proxies (the last proxy is REMOTE_ADDR).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from ipware import get_client_ip


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: from X-Forwarded-For behind trusted proxies, else the socket's."""
    proxies = settings.CAIRN_PROXY_COUNT
    if proxies > 0:
        address, _routable = get_client_ip(
            request,
            proxy_order="left-most",
            proxy_count=proxies - 1,
            request_header_order=("HTTP_X_FORWARDED_FOR",),
            strict=False,
        )
        if address:
            return address
    # No proxy, or a request that reached the app without passing through all of them.
    return request.META.get("REMOTE_ADDR") or None

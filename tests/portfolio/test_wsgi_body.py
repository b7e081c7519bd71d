"""Large request bodies read straight off gunicorn's socket (portfolio/server/body.py), against
gunicorn's own parser and environ on a real socket pair: every byte arrives in order, what
gunicorn read ahead is not lost, a kept-alive connection's next request is found where it
starts, and anything the fast reader is not for keeps gunicorn's reader."""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import threading

import pytest
from django.core.handlers.wsgi import WSGIRequest
from gunicorn.config import Config
from gunicorn.http import wsgi as gunicorn_wsgi
from gunicorn.http.parser import RequestParser

from portfolio.server.body import MIN_LENGTH, SocketBody, large_bodies_off_the_socket, socket_body

BODY = os.urandom(3 * MIN_LENGTH + 12_345)


def _head(length: int, content_type: str = "text/csv", path: str = "/up/") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: testserver\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


class Connection:
    """A client sending `data` on one end of a socket pair; gunicorn's parser on the other."""

    def __init__(self, data: bytes) -> None:
        self.server, client = socket.socketpair()
        self.server.setblocking(True)  # as gunicorn's workers hand it to the application
        self.sender = threading.Thread(target=self._send, args=(client, data), daemon=True)
        self.sender.start()
        self.cfg = Config()
        self.parser = RequestParser(self.cfg, self.server, ("127.0.0.1", 5000))

    @staticmethod
    def _send(client: socket.socket, data: bytes) -> None:
        # The server end may close without reading all (a body the test leaves unread).
        with client, contextlib.suppress(BrokenPipeError, ConnectionResetError):
            client.sendall(data)
            client.shutdown(socket.SHUT_WR)
            client.recv(1)  # keep the connection until the server end closes

    def environ(self) -> dict:
        request = next(self.parser)
        _, environ = gunicorn_wsgi.create(
            request, self.server, ("127.0.0.1", 5000), ("127.0.0.1", 8000), self.cfg
        )
        return environ

    def close(self) -> None:
        self.server.close()
        self.sender.join(5)


@pytest.fixture
def connection():
    made = []

    def make(data: bytes) -> Connection:
        made.append(Connection(data))
        return made[-1]

    yield make
    for conn in made:
        conn.close()


def _read_all(body, size: int) -> bytes:
    parts = []
    while chunk := body.read(size):
        parts.append(chunk)
    return b"".join(parts)


@pytest.mark.parametrize("size", [1 << 19, 8192, 1000])
def test_every_byte_of_a_large_body_arrives_in_order(connection, size):
    environ = connection(_head(len(BODY)) + BODY).environ()

    body = socket_body(environ)

    assert isinstance(body, SocketBody)
    assert _read_all(body, size) == BODY


def test_the_bytes_gunicorn_read_ahead_with_the_headers_come_first(connection):
    conn = connection(_head(len(BODY)) + BODY)
    environ = conn.environ()
    read_ahead = environ["wsgi.input"].reader.unreader.buf.getvalue()
    assert read_ahead, "gunicorn reads past the headers into the body"

    assert socket_body(environ).read(-1) == BODY


def test_a_kept_alive_connections_next_request_is_parsed_after_a_large_body(connection):
    second = b"second request's body"
    conn = connection(_head(len(BODY)) + BODY + _head(len(second), path="/next/") + second)
    environ = conn.environ()
    body = socket_body(environ)
    assert body.read(1 << 19) == BODY[: 1 << 19]  # the application reads only a part

    after = conn.environ()  # gunicorn drains the rest, then parses the next request

    assert after["PATH_INFO"] == "/next/"
    assert after["wsgi.input"].read() == second


def test_readline_and_read_share_the_stream(connection):
    lines = b"".join(f"line {i}\n".encode() for i in range(200_000))
    environ = connection(_head(len(lines)) + lines).environ()
    body = socket_body(environ)

    first = body.readline()
    second = body.readline(3)
    rest = body.read(-1)

    assert first == b"line 0\n"
    assert second == b"lin"
    assert first + second + rest == lines
    assert list(socket_body_lines(connection, lines)) == lines.splitlines(keepends=True)


def socket_body_lines(connection, data: bytes):
    return iter(socket_body(connection(_head(len(data)) + data).environ()))


def test_django_parses_a_multipart_upload_read_this_way(connection, settings):
    settings.FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]
    boundary = "cairn-test-boundary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n'
        ).encode()
        + BODY
        + f"\r\n--{boundary}--\r\n".encode()
    )
    environ = connection(_head(len(form), f"multipart/form-data; boundary={boundary}") + form)
    environ = environ.environ()
    seen = []
    app = large_bodies_off_the_socket(lambda env, start: seen.append(WSGIRequest(env)) or [])

    app(environ, None)

    assert isinstance(environ["wsgi.input"], SocketBody)
    upload = seen[0].FILES["files"]
    assert hashlib.sha256(upload.read()).digest() == hashlib.sha256(BODY).digest()


def test_a_body_that_stops_early_comes_out_short_not_padded(connection):
    conn = connection(_head(len(BODY)) + BODY[: MIN_LENGTH + 5])  # then the client closes

    body = socket_body(conn.environ())

    assert _read_all(body, 1 << 19) == BODY[: MIN_LENGTH + 5]


def test_small_bodies_and_timed_sockets_keep_gunicorns_reader(connection):
    small = b"x" * 100
    environ = connection(_head(len(small)) + small).environ()
    assert socket_body(environ) is None
    assert environ["wsgi.input"].read() == small

    conn = connection(_head(len(BODY)) + BODY)
    environ = conn.environ()
    conn.server.settimeout(30)  # as gevent's and TLS sockets: not a plain blocking socket
    assert socket_body(environ) is None


def test_other_servers_keep_their_own_input():
    environ = {"CONTENT_LENGTH": str(len(BODY)), "wsgi.input": object()}
    assert socket_body(environ) is None

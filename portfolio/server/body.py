"""A large request body read straight off gunicorn's socket: one copy from the kernel per byte.

gunicorn hands the application the body through `wsgi.input`, a reader that gathers each piece
received into in-memory buffers and slices it out again: four or five copies of every byte in
Python before the application sees it. For a form or an API call that does not matter; for a
150 MB results file it was most of the time its upload took: 780-830 MB/s, about 40 % of the
disk's speed here, against 1,050-1,110 MB/s (52-54 %) read this way (bench/upload_bench.py).

`large_bodies_off_the_socket` is WSGI middleware that, for a body of at least `MIN_LENGTH`
bytes of known length on a plain blocking socket of gunicorn's, replaces `wsgi.input` with
`SocketBody`: it first hands out what gunicorn has already read ahead (through gunicorn's own
reader), then takes the rest with `recv(n, MSG_WAITALL)`, which fills one new bytes object per
read in a single call. It keeps gunicorn's count of what is left of the body up to date, so on a
kept-alive connection gunicorn still drains an unread rest and finds the next request where it
starts. Anything else (chunked bodies, TLS or gevent sockets, another server, small bodies)
keeps the server's own `wsgi.input`.
"""

from __future__ import annotations

import socket

# Below this, the server's reader is as good: one or two recv() calls either way.
MIN_LENGTH = 1 << 20


class SocketBody:
    """`wsgi.input` for the body of one request, read from gunicorn's client socket."""

    def __init__(self, body, sock: socket.socket, length: int) -> None:
        # gunicorn's LengthReader: it hands out what was read ahead, and its `length` is what
        # is left of the body on the wire.
        self._reader = body.reader
        self._sock = sock
        self._left = length
        self._read_ahead = min(len(body.reader.unreader.buf.getvalue()), length)
        self._line = b""  # what readline() read past its line

    def _take(self, size: int) -> bytes:
        """Up to `size` bytes of the body (fewer only at its end or if the client went away)."""
        size = min(size, self._left)
        if size <= 0:
            return b""
        parts = []
        need = size
        if self._read_ahead:
            # gunicorn's LengthReader hands out exactly this much from its buffer, no recv().
            data = self._reader.read(min(need, self._read_ahead))
            self._read_ahead -= len(data)
            parts.append(data)
            need -= len(data)
        while need:
            # One call, one copy: the kernel fills the new bytes object until `need` have come
            # (a signal may cut it short: then the loop asks again).
            data = self._sock.recv(need, socket.MSG_WAITALL)
            if not data:
                break
            parts.append(data)
            need -= len(data)
            self._reader.length -= len(data)
        got = size - need
        self._left -= got
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._left + len(self._line)
        if self._line:
            data, self._line = self._line[:size], self._line[size:]
            if len(data) == size:
                return data
            return data + self._take(size - len(data))
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        limit = self._left + len(self._line) if size is None or size < 0 else size
        parts, have = [self._line], len(self._line)
        self._line = b""
        while b"\n" not in parts[-1] and have < limit:
            more = self._take(min(8192, limit - have))
            if not more:
                break
            parts.append(more)
            have += len(more)
        data = b"".join(parts)
        end = data.find(b"\n") + 1 or len(data)
        end = min(end, limit)
        self._line = data[end:]
        return data[:end]

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def socket_body(environ: dict) -> SocketBody | None:
    """The fast reader for this request's body, or None to keep the server's."""
    sock = environ.get("gunicorn.socket")
    body = environ.get("wsgi.input")
    if type(sock) is not socket.socket or sock.gettimeout() is not None:
        return None  # TLS, gevent and timed sockets keep gunicorn's reader
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    reader = getattr(body, "reader", None)
    unreader = getattr(reader, "unreader", None)
    if (
        length < MIN_LENGTH
        or type(reader).__name__ != "LengthReader"
        or getattr(unreader, "sock", None) is not sock
        or getattr(reader, "length", None) != length
        or body.buf.tell()  # nothing may have been read of it yet
    ):
        return None
    return SocketBody(body, sock, length)


def large_bodies_off_the_socket(application):
    """WSGI middleware: large request bodies under gunicorn are read with `SocketBody`."""

    def wrapped(environ, start_response):
        if (fast := socket_body(environ)) is not None:
            environ["wsgi.input"] = fast
        return application(environ, start_response)

    return wrapped

"""Upload size limits, checked as early as each can be, and upload handlers that keep up with
the disk.

- `UploadSizeMiddleware` refuses a request whose Content-Length is over the limit before
  anything reads its body: a 400 MB file over a 200 MB limit is answered at once, not after the
  whole body has been received.
- `SizeLimitUploadHandler` stops receiving a file once it is over the limit (a body sent
  without a length, or several files together under the request limit), so bytes past the
  limit are never stored and the view says why.
- The handlers read the body in 512 KiB chunks (Django's default is 64 KiB), so a large upload
  is written to its temporary file at disk speed rather than in many small Python steps, and
  hash it as it arrives, so storing it is a move of that file, not a second copy.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.core.files.uploadhandler import (
    FileUploadHandler,
    MemoryFileUploadHandler,
    StopUpload,
    TemporaryFileUploadHandler,
)
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.http import parse_header_parameters, url_has_allowed_host_and_scheme

from .imports import Upload, megabytes, upload_name

CHUNK_SIZE = 1 << 19
# A request's body holds its files and a little more: the other form fields and each part's
# headers.
FORM_MARGIN = 1_000_000
# Answers for clients that speak another error format, by path prefix (tracking registers
# MLflow's), so the core names no other app.
_REFUSAL_ANSWERS: list[tuple[str, Callable[[str], HttpResponse]]] = []


def register_refusal_answer(prefix: str, answer: Callable[[str], HttpResponse]) -> None:
    """Answer refused uploads under `prefix` with `answer(message)` (a 413 response)."""
    if all(p != prefix for p, _ in _REFUSAL_ANSWERS):
        _REFUSAL_ANSWERS.append((prefix, answer))


def request_limit() -> int:
    """The largest request body accepted: the upload limit and the form's margin."""
    return settings.CAIRN_MAX_UPLOAD_BYTES + FORM_MARGIN


def _declared_length(request: HttpRequest) -> int:
    try:
        return max(0, int(request.META.get("CONTENT_LENGTH") or 0))
    except ValueError:
        return 0


class UploadSizeMiddleware:
    """A request whose Content-Length is over the limit is answered 413 before its body is read.

    Browsers get a page that says why, with a way back; other clients JSON ({"error": ...}),
    or the format registered for their path.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = _declared_length(request)
        if length <= request_limit():
            return self.get_response(request)
        message = (
            f"This upload is {megabytes(length)}; Cairn takes at most "
            f"{megabytes(settings.CAIRN_MAX_UPLOAD_BYTES)} in one upload."
        )
        # The body stays unread; the WSGI server drops or drains it after the answer is sent.
        return self._answer(request, message)

    @staticmethod
    def _answer(request: HttpRequest, message: str) -> HttpResponse:
        for prefix, answer in _REFUSAL_ANSWERS:
            if request.path.startswith(prefix):
                return answer(message)
        if "text/html" not in request.headers.get("Accept", ""):
            return JsonResponse({"error": message}, status=413)
        back = request.headers.get("Referer", "")
        if not url_has_allowed_host_and_scheme(back, {request.get_host()}, request.is_secure()):
            back = ""
        html = render_to_string(
            "projects/upload_refused.html", {"message": message, "back": back}, request=request
        )
        return HttpResponse(html, status=413)


def upload_refusal(request) -> str | None:
    """Why the request's upload was stopped, or None."""
    return getattr(request, "cairn_upload_refused", None)


def refusal_status(request) -> int:
    """The HTTP status for `upload_refusal`: 413 for a file over the limit, 400 for a body that
    ended before its Content-Length."""
    return getattr(request, "cairn_upload_status", 413)


def uploads_with_paths(files, paths: list[str]) -> list[Upload]:
    """Uploaded files with their relative paths (a chosen folder's `version_3/metrics.csv`).

    Browsers send a folder's files with their paths, but Django keeps only the file name, so
    the page's script (or an API client) sends the paths too, in the files' order, in the field
    "paths"; a path is used only when it ends with its file's name.
    """
    out = []
    for index, f in enumerate(files):
        name = f.name
        if index < len(paths):
            path = upload_name(paths[index])
            if path.rsplit("/", 1)[-1] == upload_name(f.name):
                name = path
        out.append(Upload(name=name, stream=f, size=f.size))
    return out


RAW_NAME_MISSING = "Give the file's name: ?name=metrics.csv (or a Content-Disposition filename)."
RAW_BODY_EMPTY = "The body is empty: send the file's bytes, with its Content-Length."
RAW_BODY_SHORT = "The upload stopped after {got} of {length}: nothing was stored. Send it again."
FORM_TYPES = frozenset({"multipart/form-data", "application/x-www-form-urlencoded"})


def is_raw_upload(request: HttpRequest) -> bool:
    """Whether a POST's body is the file itself (`curl --data-binary @metrics.csv`, or the
    upload page's script), not a form around it: any Content-Type but a form's."""
    return request.method == "POST" and (request.content_type or "") not in FORM_TYPES


def raw_upload_name(request: HttpRequest) -> str:
    """The name a raw body is sent under: `?name=`, else Content-Disposition's filename."""
    if name := request.GET.get("name", "").strip():
        return name
    disposition = request.headers.get("Content-Disposition", "")
    _, params = parse_header_parameters(disposition) if disposition else ("", {})
    return (params.get("filename") or "").strip()


def receive_raw_upload(request: HttpRequest, name: str):
    """The request's body as one uploaded file named `name`, or None when it was refused
    (`upload_refusal` says why: over the limit, or shorter than its Content-Length) or empty.
    The body passes through the same handlers as a form's file (the size limit, the temporary
    file hashed on the way), with no multipart parser between the socket and the disk."""
    content_type = request.content_type or "application/octet-stream"
    length = _declared_length(request) or None
    handlers = [SizeLimitUploadHandler(request), TemporaryUploadHandler(request)]
    for handler in handlers:
        handler.new_file("file", name, content_type, length, None)
    try:
        received = _pass_body(request, handlers)
    except StopUpload:
        handlers[-1].upload_interrupted()
        while request.read(CHUNK_SIZE):  # read and drop the rest: the client gets the answer
            pass
        return None
    if length is not None and received < length:
        # The client went away (a closed tab, a dropped connection) or sent less than it said:
        # a part of a file is never imported as if it were the file.
        handlers[-1].upload_interrupted()
        _refuse(request, RAW_BODY_SHORT.format(got=megabytes(received), length=megabytes(length)))
        return None
    file = handlers[-1].file_complete(received)
    if not received:
        file.close()
        return None
    return file


def _refuse(request: HttpRequest, message: str, status: int = 400) -> None:
    """Stop the request's upload: `upload_refusal` and `refusal_status` answer from here."""
    request.cairn_upload_refused = message
    request.cairn_upload_status = status


def _pass_body(request: HttpRequest, handlers: list[FileUploadHandler]) -> int:
    """Hand the body to the handlers chunk by chunk, as Django's parser hands a form's file (a
    handler that keeps a chunk ends the chain); the bytes received."""
    received = 0
    while chunk := request.read(CHUNK_SIZE):
        size = len(chunk)
        for handler in handlers:
            if (chunk := handler.receive_data_chunk(chunk, received)) is None:
                break
        received += size
    return received


class SizeLimitUploadHandler(FileUploadHandler):
    chunk_size = CHUNK_SIZE

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = settings.CAIRN_MAX_UPLOAD_BYTES
        if self.received > limit:
            _refuse(
                self.request,
                f"“{self.file_name}” is larger than the limit of {megabytes(limit)}.",
                status=413,
            )
            # Keep the connection: the rest of the body is read and dropped, so the browser
            # gets the page that explains, not a reset.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class MemoryUploadHandler(MemoryFileUploadHandler):
    """Django's, reading 1 MiB chunks (the parser reads by the smallest handler chunk)."""

    chunk_size = CHUNK_SIZE


class TemporaryUploadHandler(TemporaryFileUploadHandler):
    """Django's, writing the file to its temporary file and hashing it on the way.

    The file comes out with its `sha256`, so the import stores it by moving the temporary file
    into place (a rename on one file system) instead of reading it again to copy and hash it:
    a large upload is written to disk once. The hashing runs on a thread of its own (hashlib
    lets go of the GIL), a few chunks behind the writing, so receiving the body does not wait
    for it.
    """

    chunk_size = CHUNK_SIZE
    # Chunks the hashing may fall behind before receiving waits for it (memory held: 2 MiB).
    HASH_BEHIND = 8

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.digest = hashlib.sha256()
        self.hasher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="upload-sha256")
        self.pending: deque[Future] = deque()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        # One worker runs the updates in the order they were given.
        self.pending.append(self.hasher.submit(self.digest.update, raw_data))
        if len(self.pending) > self.HASH_BEHIND:
            self.pending.popleft().result()
        return super().receive_data_chunk(raw_data, start)

    def file_complete(self, file_size: int):
        self._stop_hashing()
        file = super().file_complete(file_size)
        file.sha256 = self.digest.hexdigest()
        return file

    def upload_interrupted(self) -> None:
        self._stop_hashing()
        super().upload_interrupted()

    def _stop_hashing(self) -> None:
        hasher = getattr(self, "hasher", None)
        if hasher is not None:
            hasher.shutdown(wait=True)
            for done in self.pending:
                done.result()
            self.pending.clear()
            self.hasher = None

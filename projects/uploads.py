"""An upload handler that stops receiving a file once it is over the size limit.

Without it Django would write the whole body to a temporary file before the view could refuse
it; with it, bytes past the limit are never stored and the view says why.
"""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload

from .imports import Upload, megabytes, upload_name


def upload_refusal(request) -> str | None:
    """Why the request's upload was stopped, or None."""
    return getattr(request, "cairn_upload_refused", None)


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


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        limit = settings.CAIRN_MAX_UPLOAD_BYTES
        if self.received > limit:
            self.request.cairn_upload_refused = (
                f"“{self.file_name}” is larger than the limit of {megabytes(limit)}."
            )
            # Keep the connection: the rest of the body is read and dropped, so the browser
            # gets the page that explains, not a reset.
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None

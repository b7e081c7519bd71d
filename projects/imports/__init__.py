"""Services of experiment imports: upload, process (in a worker), retry, delete.

An import is a row with a status; a worker claims it atomically, parses its files with
projects.importers (plain Python over pandas) and writes every run and series in one
transaction, so an import lands whole or leaves nothing.
"""

from __future__ import annotations

from .create import Upload, UploadRefused, import_create, imports_create, megabytes
from .files import MAX_STORED_NAME_BYTES, shown_name, stored_name, upload_name
from .lifecycle import (
    LIVE_REREAD,
    MAX_ATTEMPTS,
    STALE_AFTER,
    import_delete,
    import_enqueue,
    import_requeue_stalled,
    import_reread,
    import_retry,
    stale_after,
    stalled_imports,
)
from .process import import_process
from .review import import_preview

__all__ = [
    "LIVE_REREAD",
    "MAX_ATTEMPTS",
    "MAX_STORED_NAME_BYTES",
    "STALE_AFTER",
    "Upload",
    "UploadRefused",
    "import_create",
    "import_delete",
    "import_enqueue",
    "import_preview",
    "import_process",
    "import_requeue_stalled",
    "import_reread",
    "import_retry",
    "imports_create",
    "megabytes",
    "shown_name",
    "stale_after",
    "stalled_imports",
    "stored_name",
    "upload_name",
]

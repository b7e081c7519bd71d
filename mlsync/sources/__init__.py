"""The sources a connection is read from: an MLflow tracking server (server.py) or a store on
the workers' machine (store_paths.open_store: an mlruns folder or an mlflow.db file)."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .base import Point, RemoteExperiment, RemoteRun, Source, SourceError

if TYPE_CHECKING:
    from ..models import TrackerConnection

__all__ = ["Point", "RemoteExperiment", "RemoteRun", "Source", "SourceError", "source_for"]


def source_for(connection: TrackerConnection) -> Source:
    """The source that reads this connection, with its credentials unsealed."""
    from ..credentials import unseal
    from ..models import ConnectionKind

    if connection.kind == ConnectionKind.SERVER:
        credentials = unseal(connection.credentials)
        from .server import ServerSource

        return ServerSource(connection.server_url, **credentials)
    if connection.kind == ConnectionKind.STORE:
        # The store readers live in their own modules, loaded only when a store is read.
        return importlib.import_module(f"{__name__}.store_paths").open_store(connection.store_path)
    raise SourceError(f"Unknown kind of connection: {connection.kind!r}.")


def check_store_path(path: str) -> str:
    """The store path as it will be read, or SourceError saying why it may not be."""
    try:
        paths = importlib.import_module(f"{__name__}.store_paths")
    except ModuleNotFoundError:
        raise SourceError("Reading MLflow stores is not available in this version.") from None
    return str(paths.store_path_check(path).path)

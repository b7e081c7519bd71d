"""The OpenAPI 3.1 description of the HTTP API, served at /api/v1/openapi.json."""

from __future__ import annotations

from projects.importers import FORMATS

IMPORT = {
    "type": "object",
    "required": ["id", "status", "progress", "status_url"],
    "properties": {
        "id": {"type": "integer"},
        "project": {"type": "string", "description": "The project's slug"},
        "status": {
            "type": "string",
            "enum": ["queued", "running", "succeeded", "failed", "review"],
            "description": "succeeded, failed and review (held: Cairn needs you to check how "
            "it read the file) are final until you retry",
        },
        "progress": {"type": "number", "minimum": 0, "maximum": 1},
        "message": {"type": "string", "description": "Why it failed, or what it is doing"},
        "file_name": {"type": "string"},
        "sha256": {"type": "string"},
        "size": {"type": "integer", "description": "Bytes"},
        "format": {"type": ["string", "null"], "description": "The format detected"},
        "importer_version": {"type": ["string", "null"]},
        "runs": {"type": "integer"},
        "series": {"type": "integer"},
        "points": {"type": "integer"},
        "report": {
            "type": ["object", "null"],
            "description": "Rows read, accepted and rejected (with reasons and line "
            "numbers) and warnings",
        },
        "choices": {
            "type": "object",
            "description": "How the files are read, as the owner chose: roles (column name "
            "to run, step, time, param, metric, tag, key, value or ignore), date_order (dmy or "
            "mdy), delimiter, confirmed",
        },
        "created_at": {"type": "string", "format": "date-time"},
        "finished_at": {"type": ["string", "null"], "format": "date-time"},
        "status_url": {"type": "string", "format": "uri"},
        "page_url": {"type": "string", "format": "uri"},
        "duplicate": {
            "type": "boolean",
            "description": "True when the same file was imported into this project before; "
            "the answer then describes that import",
        },
    },
}
ERROR = {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
CHOICES = {
    "choices": {
        "type": "string",
        "description": 'How to read the files, as JSON: {"roles": {column: role}, '
        '"date_order": "dmy"|"mdy", "delimiter": ",", "confirmed": true}. '
        "Roles: run, step, time, param, metric, tag, key, value, ignore",
    },
    "roles": {"type": "string", "description": "JSON object column -> role (part of choices)"},
    "date_order": {"type": "string", "description": "dmy (day-month-year) or mdy (month-day-year)"},
    "delimiter": {"type": "string", "description": "The column delimiter of CSV files"},
    "confirmed": {
        "type": "boolean",
        "description": "Import even where Cairn is unsure, as the choices say",
    },
}
NAMES = {
    "format": {
        "type": "string",
        "enum": sorted(FORMATS),
        "description": "Skip detection: read the file as this format",
    },
    "run_name": {"type": "string"},
    "metric_name": {"type": "string"},
}


# The query of an upload sent as the body itself: its name and the form's other fields.
RAW_QUERY = [
    {
        "name": "name",
        "in": "query",
        "required": False,
        "description": "With the file as the body: its name or relative path "
        "(lightning_logs/version_3/metrics.csv); a Content-Disposition filename works too",
        "schema": {"type": "string"},
    },
    *(
        {"name": key, "in": "query", "required": False, "schema": {"type": "string"}}
        for key in (
            "format",
            "run_name",
            "metric_name",
            "choices",
            "roles",
            "date_order",
            "delimiter",
            "confirmed",
        )
    ),
]


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def schema(*, server: str) -> dict:
    """The whole OpenAPI document, with the given server URL."""
    slug = {"name": "slug", "in": "path", "required": True, "schema": {"type": "string"}}
    import_ref = {"application/json": {"schema": {"$ref": "#/components/schemas/Import"}}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Cairn API",
            "version": "1",
            "description": "Upload experiment results into a project and follow the import. "
            "Create a personal access token under Settings → API tokens.",
        },
        "servers": [{"url": server}],
        "security": [{"bearerAuth": []}],
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Import": IMPORT, "Error": ERROR},
        },
        "paths": {
            "/projects/{slug}/imports": {
                "post": {
                    "summary": "Upload result files as one import",
                    "description": "Answers at once; the file is processed in the "
                    "background. Poll status_url until status is succeeded, failed or review. "
                    "The same file again answers the first import; when that one failed or "
                    "was held for review, it is run again with this request's names and "
                    "choices (202). A single file may also be sent as the body itself "
                    "(any Content-Type but a form's, e.g. text/csv or application/octet-stream) "
                    "with its name in ?name= and the other fields in the query: no multipart "
                    "parsing, so a large file goes to disk about twice as fast.",
                    "parameters": [slug, *RAW_QUERY],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}
                            },
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {"type": "string", "format": "binary"},
                                        **NAMES,
                                        **CHOICES,
                                        "paths": {
                                            "type": "string",
                                            "description": "Each file's relative path, in "
                                            "the files' order (lightning_logs/version_3/"
                                            "metrics.csv): its folders name the run",
                                        },
                                    },
                                }
                            },
                        },
                    },
                    "responses": {
                        "202": {"description": "Queued", "content": import_ref},
                        "200": {"description": "Imported before", "content": import_ref},
                        "400": _error("No file, or a bad request"),
                        "401": _error("No valid token"),
                        "404": _error("No such project of yours"),
                        "413": _error("The file is larger than the limit"),
                        "429": _error("Too many requests with this token (see Retry-After)"),
                    },
                }
            },
            "/projects/{slug}/imports/{id}": {
                "get": {
                    "summary": "Status, progress and report of an import",
                    "parameters": [
                        slug,
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "responses": {
                        "200": {"description": "The import", "content": import_ref},
                        "401": _error("No valid token"),
                        "404": _error("No such import"),
                        "429": _error("Too many requests with this token (see Retry-After)"),
                    },
                }
            },
            "/projects/{slug}/imports/{id}/retry": {
                "post": {
                    "summary": "Run a failed, held or stalled import again",
                    "description": "Optionally with other names, format and choices (form "
                    "fields as for an upload, without the file). A stalled import (queued or "
                    "running with no worker answering) is sent again as it is.",
                    "parameters": [
                        slug,
                        {
                            "name": "id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        },
                    ],
                    "requestBody": {
                        "required": False,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "properties": {**NAMES, **CHOICES},
                                }
                            }
                        },
                    },
                    "responses": {
                        "202": {"description": "Queued again", "content": import_ref},
                        "400": _error("Bad choices or an unknown format"),
                        "401": _error("No valid token"),
                        "404": _error("No such import"),
                        "409": _error("The import is under way or succeeded"),
                    },
                }
            },
        },
    }

"""MLflow's error format: {"error_code": "...", "message": "..."} with the status MLflow uses."""

from __future__ import annotations

from django.http import JsonResponse

# As mlflow.protos.databricks_pb2 codes map to HTTP statuses in MLflow's server.
STATUS = {
    "INVALID_PARAMETER_VALUE": 400,
    "BAD_REQUEST": 400,
    "MALFORMED_REQUEST": 400,
    "RESOURCE_ALREADY_EXISTS": 400,
    "INVALID_STATE": 400,
    "UNAUTHENTICATED": 401,
    "PERMISSION_DENIED": 403,
    "RESOURCE_DOES_NOT_EXIST": 404,
    "ENDPOINT_NOT_FOUND": 404,
    "REQUEST_LIMIT_EXCEEDED": 429,
    "INTERNAL_ERROR": 500,
    "NOT_IMPLEMENTED": 501,
}


class MlflowError(Exception):
    """An answer in MLflow's error format; raised anywhere under a handler."""

    def __init__(self, code: str, message: str, **headers: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = headers

    @property
    def status(self) -> int:
        return STATUS[self.code]

    @classmethod
    def invalid(cls, message: str) -> MlflowError:
        return cls("INVALID_PARAMETER_VALUE", message)

    @classmethod
    def missing(cls, message: str) -> MlflowError:
        return cls("RESOURCE_DOES_NOT_EXIST", message)

    @classmethod
    def unsupported(cls, method: str, path: str) -> MlflowError:
        return cls("ENDPOINT_NOT_FOUND", f"Cairn does not serve {method} /{path.lstrip('/')}.")


def error_response(error: MlflowError) -> JsonResponse:
    response = JsonResponse(
        {"error_code": error.code, "message": error.message}, status=error.status
    )
    for key, value in error.headers.items():
        response[key.replace("_", "-")] = value
    return response


def too_large(message: str) -> JsonResponse:
    """A request over the upload limit, refused before its body is read, in MLflow's format."""
    return JsonResponse({"error_code": "INVALID_PARAMETER_VALUE", "message": message}, status=413)

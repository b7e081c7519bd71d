"""MLflow's REST protocol: reading a request's fields and shaping answers as MLflow does.

Requests are proto messages sent as JSON (POST body) or as query parameters (GET); answers are
the proto's JSON form (mlflow/protos/service.proto). int64 fields arrive as numbers or strings.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime

from django.http import HttpRequest

from .errors import MlflowError

MAX_METRICS_PER_BATCH = 1000
MAX_PARAMS_TAGS_PER_BATCH = 100
MAX_ENTITIES_PER_BATCH = 1000
MAX_BATCH_LOG_REQUEST_SIZE = 1_000_000
MAX_ENTITY_KEY_LENGTH = 250
MAX_PARAM_VAL_LENGTH = 6000
MAX_TAG_VAL_LENGTH = 8000
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000

_NAME = re.compile(r"[/\w.\- :]*")
_RUN_ID = re.compile(r"[a-zA-Z0-9][\w\-]{0,255}")
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


class Body:
    """The fields of one request, whichever way they came."""

    def __init__(self, data: dict) -> None:
        self.data = data

    @classmethod
    def of(cls, request: HttpRequest) -> Body:
        if request.method == "GET":
            return cls({k: v if len(v) > 1 else v[0] for k, v in request.GET.lists()})
        raw = request.body
        if not raw.strip():
            return cls({})
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise MlflowError("MALFORMED_REQUEST", "The request body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise MlflowError("MALFORMED_REQUEST", "The request body must be a JSON object.")
        return cls(data)

    def has(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")

    def string(self, name: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return default
        if isinstance(value, (list, dict, bool)):
            raise MlflowError.invalid(
                f"Invalid value {json.dumps(value)[:100]} for parameter '{name}' supplied: "
                "it must be a string."
            )
        return str(value)

    def integer(self, name: str, *, required: bool = False) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise missing(name)
            return None
        return to_int(value, name)

    def strings(self, name: str) -> list[str]:
        value = self.data.get(name)
        if value in (None, ""):
            return []
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
            raise MlflowError.invalid(f"Parameter '{name}' must be a list of strings.")
        return [str(v) for v in values]

    def objects(self, name: str) -> list[dict]:
        value = self.data.get(name)
        if value in (None, ""):
            return []
        if not isinstance(value, list) or not set(map(type, value)) <= {dict}:
            raise MlflowError.invalid(f"Parameter '{name}' must be a list of objects.")
        return value

    def run_id(self) -> str:
        """run_id, or the older run_uuid that clients still send beside it."""
        run_id = self.string("run_id") or self.string("run_uuid")
        if not run_id:
            raise missing("run_id")
        return run_id


def missing(name: str) -> MlflowError:
    return MlflowError.invalid(
        f"Missing value for required parameter '{name}'. See the API docs for more "
        "information about request parameters."
    )


def _integral(value) -> bool:
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value.strip()) is not None


def to_int(value, name: str) -> int:
    if isinstance(value, bool):
        raise MlflowError.invalid(
            f"Invalid value {value!r} for parameter '{name}': not an integer."
        )
    if isinstance(value, int):
        result = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"-?\d{1,19}", value.strip())
    ):
        result = int(value)
    else:
        raise MlflowError.invalid(
            f"Invalid value {str(value)[:100]!r} for parameter '{name}' supplied: "
            "it must be a 64-bit integer."
        )
    if not -(2**63) <= result < 2**63:
        raise MlflowError.invalid(f"Parameter '{name}' is out of the 64-bit integer range.")
    return result


def to_float(value, name: str) -> float:
    if isinstance(value, bool) or value is None:
        raise MlflowError.invalid(
            f"Invalid value {value!r} for parameter '{name}' supplied: "
            "Please specify value as a valid double (64-bit floating point)"
        )
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        if value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        try:
            return float(value)
        except ValueError:
            pass
    raise MlflowError.invalid(
        f"Invalid value {str(value)[:100]!r} for parameter '{name}' supplied: "
        "Please specify value as a valid double (64-bit floating point)"
    )


def check_name(name: str, path: str, kind: str = "Names") -> str:
    """A metric, param or tag key as MLflow allows it."""
    if not name:
        raise MlflowError.invalid(f"Missing value for required parameter '{path}'.")
    if not _NAME.fullmatch(name):
        raise MlflowError.invalid(
            f"Invalid value {name!r} for parameter '{path}' supplied: {kind} may only contain "
            "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and "
            "slashes (/)."
        )
    if len(name) > MAX_ENTITY_KEY_LENGTH:
        raise MlflowError.invalid(
            f"'{path}' exceeds the maximum length of {MAX_ENTITY_KEY_LENGTH} characters"
        )
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise MlflowError.invalid(
            f"Invalid value {name!r} for parameter '{path}' supplied: names may be treated as "
            "files, and must not resolve to other names."
        )
    return name


def check_value(value: str, path: str, limit: int) -> str:
    if len(value) > limit:
        raise MlflowError.invalid(f"'{path}' exceeds the maximum length of {limit} characters")
    if "\x00" in value:
        raise MlflowError.invalid(f"'{path}' cannot contain NUL (0x00) characters")
    return value


def check_run_id(run_id: str) -> str:
    if not _RUN_ID.fullmatch(run_id):
        raise MlflowError.invalid(f"Invalid value {run_id!r} for parameter 'run_id' supplied.")
    return run_id


def check_batch_limits(metrics: int, params: int, tags: int) -> None:
    """MLflow's limits on one log-batch call, with MLflow's words."""
    for name, limit, count in (
        ("metrics", MAX_METRICS_PER_BATCH, metrics),
        ("params", MAX_PARAMS_TAGS_PER_BATCH, params),
        ("tags", MAX_PARAMS_TAGS_PER_BATCH, tags),
        ("metrics, params, and tags", MAX_ENTITIES_PER_BATCH, metrics + params + tags),
    ):
        if count > limit:
            raise MlflowError.invalid(
                f"A batch logging request can contain at most {limit} {name}. Got {count} "
                f"{name}. Please split up {name} across multiple requests and try again."
            )


def ms(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp() * 1000)


def json_float(value: float) -> float | str:
    """A double as proto JSON writes it: NaN and infinities as strings."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def key_values(mapping: dict) -> list[dict]:
    return [{"key": k, "value": "" if v is None else str(v)} for k, v in mapping.items()]


def pairs(body: Body, name: str, value_limit: int) -> list[tuple[str, str]]:
    pairs = []
    for i, item in enumerate(body.objects(name)):
        key = check_name(str(item.get("key") or ""), f"{name}[{i}].key")
        value = check_value(str(item.get("value") or ""), f"{name}[{i}].value", value_limit)
        pairs.append((key, value))
    return pairs

"""How a user says to read an import's files, from the preview form, the command line or the API.

One rule in one place: every way in ends in `importers.Choices.from_dict`, which knows the roles,
date orders and delimiters; this module only turns each way's spelling into that dict, says
what is wrong in a sentence (ChoicesInvalid), and describes saved choices for provenance.
"""

from __future__ import annotations

import json

from .importers import DATE_ORDERS, ROLES, Choices, ImportFailed
from .importers.dialect import CANDIDATE_DELIMITERS, delimiter_name

# What the preview's delimiter select offers, and the words the command line and API accept.
DELIMITERS: dict[str, str] = {d: delimiter_name(d) for d in CANDIDATE_DELIMITERS}
_DELIMITER_WORDS = {
    "comma": ",",
    "semicolon": ";",
    "tab": "\t",
    "\\t": "\t",
    "bar": "|",
    "pipe": "|",
    "vertical bar": "|",
}
# The roles as the preview shows them (short words a phone's select can hold).
ROLE_LABELS: dict[str, str] = {
    "run": "run name",
    "step": "step",
    "time": "time",
    "param": "param",
    "metric": "metric",
    "tag": "tag",
    "key": "metric name",
    "value": "metric value",
    "ignore": "ignore",
}


class ChoicesInvalid(Exception):
    """Choices that cannot be used; .errors maps a field ("roles", "date_order", "delimiter",
    or "role-<column>") to a sentence for the user."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors

    @property
    def message(self) -> str:
        return " ".join(self.errors.values())


def delimiter_from(text: str) -> str:
    """A delimiter as people write it (";", "tab", "\\t", "semicolon") as the one character."""
    if text in ("", None):
        return ""
    word = str(text).strip().lower() if str(text).strip() else str(text)
    return _DELIMITER_WORDS.get(word, str(text))


def build(
    *,
    roles: dict[str, str] | None = None,
    date_order: str = "",
    delimiter: str = "",
    confirmed: bool = False,
    columns: list[str] | None = None,
) -> Choices:
    """Choices from plain values, checked; columns (when known) must hold every role's column."""
    errors: dict[str, str] = {}
    roles = {str(k): str(v).strip().lower() for k, v in (roles or {}).items()}
    for column, role in roles.items():
        if role not in ROLES:
            errors[f"role-{column}"] = (
                f"“{role}” is not a column role (column “{column}”); roles are: {', '.join(ROLES)}."
            )
    if columns is not None:
        missing = [c for c in roles if c not in columns]
        if missing:
            errors["roles"] = (
                f"The file has no column “{missing[0]}”; its columns are: "
                f"{', '.join(columns[:20])}."
            )
    for role in ("run", "step", "time", "key", "value"):
        named = [c for c, r in roles.items() if r == role]
        if len(named) > 1:
            errors.setdefault(
                "roles",
                f"Only one column can be the {ROLE_LABELS[role]}; "
                f"{', '.join(f'“{c}”' for c in named)} were given.",
            )
    date_order = (date_order or "").strip().lower()
    if date_order and date_order not in DATE_ORDERS:
        errors["date_order"] = f"“{date_order}” is not a date order; use dmy or mdy."
    delimiter = delimiter_from(delimiter)
    if delimiter and len(delimiter) != 1:
        errors["delimiter"] = (
            f"“{delimiter}” is not a delimiter; use one character such as “,” or “;”, or tab."
        )
    if errors:
        raise ChoicesInvalid(errors)
    try:
        return Choices(roles=roles, date_order=date_order, delimiter=delimiter, confirmed=confirmed)
    except ImportFailed as exc:  # the importers' rule has the last word
        raise ChoicesInvalid({"choices": exc.message}) from None


def from_flags(
    role_flags: list[str] | None,
    *,
    date_order: str = "",
    delimiter: str = "",
    confirmed: bool = False,
) -> Choices:
    """Choices from the command line: --role COLUMN=ROLE (repeatable), --date-order, --delimiter."""
    roles: dict[str, str] = {}
    for flag in role_flags or []:
        column, sep, role = flag.rpartition("=")
        if not sep or not column.strip() or not role.strip():
            raise ChoicesInvalid(
                {"roles": f"--role takes COLUMN=ROLE, such as lr=param; “{flag}” is not that."}
            )
        roles[column.strip()] = role.strip()
    return build(roles=roles, date_order=date_order, delimiter=delimiter, confirmed=confirmed)


def from_api(value) -> Choices | None:
    """Choices from the API's `choices` field: a JSON object (or its text); None when absent."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ChoicesInvalid({"choices": "“choices” is not valid JSON."}) from None
    if not isinstance(value, dict):
        raise ChoicesInvalid(
            {"choices": "“choices” is an object: roles, date_order, delimiter, confirmed."}
        )
    unknown = sorted(set(value) - {"roles", "date_order", "delimiter", "confirmed"})
    if unknown:
        raise ChoicesInvalid(
            {
                "choices": f"Unknown import choice “{unknown[0]}”; choices are roles, "
                "date_order, delimiter and confirmed."
            }
        )
    roles = value.get("roles") or {}
    if not isinstance(roles, dict):
        raise ChoicesInvalid({"roles": "“roles” maps a column name to its role."})
    confirmed = value.get("confirmed", False)
    if not isinstance(confirmed, bool):
        raise ChoicesInvalid({"confirmed": "“confirmed” is true or false."})
    return build(
        roles=roles,
        date_order=str(value.get("date_order") or ""),
        delimiter=str(value.get("delimiter") or ""),
        confirmed=confirmed,
    )


def from_form(
    data, columns: list[str], guessed: dict[str, str] | None = None, kept: Choices | None = None
) -> Choices:
    """Choices from the preview form: role-<n> for the n-th column, date_order, delimiter.

    Only roles that differ from Cairn's guess (or that the user set before) are kept, so the
    saved choices and the provenance name what the user changed.
    """
    guessed = guessed or {}
    earlier = kept.roles if kept else {}
    every: dict[str, str] = {}  # every column's role as the form says, to check as a whole
    roles: dict[str, str] = {}
    for index, column in enumerate(columns):
        role = data.get(f"role-{index}")
        if role is None:
            if column in guessed:
                every[column] = guessed[column]
            continue
        every[column] = role
        if role != guessed.get(column) or column in earlier:
            roles[column] = role
    options = {
        "date_order": data.get("date_order", ""),
        "delimiter": data.get("delimiter", ""),
        "confirmed": True,
    }
    build(roles=every, columns=columns, **options)
    return build(roles=roles, columns=columns, **options)


def describe(choices: dict | None, *, by: str = "the owner") -> str:
    """How a file was read, for provenance: “column “lr” as param, dates day-month-year, …”."""
    choices = choices or {}
    parts = [
        f"column “{column}” as {ROLE_LABELS.get(role, role)}"
        for column, role in (choices.get("roles") or {}).items()
    ]
    if choices.get("date_order") in DATE_ORDERS:
        parts.append(f"dates {DATE_ORDERS[choices['date_order']]}")
    if choices.get("delimiter"):
        parts.append(f"delimiter {delimiter_name(choices['delimiter'])}")
    if not parts:
        return f"Cairn's reading, confirmed by {by}" if choices.get("confirmed") else ""
    return f"{', '.join(parts)}; chosen by {by}"


# --- The preview form ----------------------------------------------------------------------------

# The roles the preview's selects offer for each kind of table (others get every role).
FORMAT_ROLES = {
    "long_csv": ("run", "key", "step", "value", "time", "param", "tag", "ignore"),
    "wide_csv": ("run", "step", "time", "metric", "param", "tag", "ignore"),
}


def kept_choices(saved: dict | None) -> Choices:
    """The choices saved on an import, or none when they no longer read."""
    try:
        return Choices.from_dict(saved)
    except ImportFailed:
        return Choices()


def to_show(choices: Choices, kept: Choices) -> Choices:
    """The choices to preview with: another delimiter makes other columns, whose roles start
    afresh."""
    if choices.delimiter == (kept.delimiter or ""):
        return choices
    return Choices(date_order=choices.date_order, delimiter=choices.delimiter, confirmed=True)


def preview_form(shown, kept: Choices, typed: dict[str, str], errors: dict[str, str]) -> dict:
    """The preview form's context: a row per column with the role chosen (as typed, else as
    read) and the roles it may take, the errors, and the date order and delimiter shown."""
    role_names = FORMAT_ROLES.get(shown.format, tuple(ROLE_LABELS))
    rows = [
        {
            "column": column,
            "chosen": typed.get(f"role-{column.index}", column.role),
            "error": errors.get(f"role-{column.name}", ""),
            "options": [
                (name, ROLE_LABELS[name]) for name in dict.fromkeys((*role_names, column.role))
            ],
        }
        for column in shown.columns
    ]
    return {
        "shown": shown,
        "role_rows": rows,
        "errors": errors,
        "other_errors": [m for k, m in errors.items() if not k.startswith("role-")],
        "date_order": typed.get("date_order", kept.date_order),
        "delimiter": typed.get("delimiter", kept.delimiter),
        "date_orders": DATE_ORDERS,
        "delimiters": DELIMITERS,
    }

"""How the user said to read an import's files: column roles, date order, delimiter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..wording import quoted
from .formats import ImportFailed

if TYPE_CHECKING:
    from .report import Report

# them as --role COLUMN=ROLE and the API as roles={"COLUMN": "ROLE"}.
ROLES: dict[str, str] = {
    "run": "run name",
    "step": "step",
    "time": "time",
    "param": "parameter",
    "metric": "metric",
    "tag": "tag",
    "key": "metric name (long tables)",
    "value": "metric value (long tables)",
    "ignore": "ignored",
}
DATE_ORDERS: dict[str, str] = {"dmy": "day-month-year", "mdy": "month-day-year"}


@dataclass(frozen=True)
class Choices:
    """How the user said to read the files; empty means "decide, and say how"."""

    roles: dict[str, str] = field(default_factory=dict)  # column name -> a key of ROLES
    date_order: str = ""  # "", or a key of DATE_ORDERS for dates like 04-08-2024
    delimiter: str = ""  # "", or the one character that separates a CSV's columns
    # The user saw the guesses (in the preview, or with --yes) and lets them stand.
    confirmed: bool = False

    def __post_init__(self):
        bad = {c: r for c, r in self.roles.items() if r not in ROLES}
        if bad:
            column, role = next(iter(bad.items()))
            raise ImportFailed(
                f"“{role}” is not a column role (column “{column}”); roles are: {', '.join(ROLES)}."
            )
        if self.date_order and self.date_order not in DATE_ORDERS:
            raise ImportFailed(
                f"“{self.date_order}” is not a date order; use {' or '.join(DATE_ORDERS)}."
            )
        if self.delimiter and len(self.delimiter) != 1:
            raise ImportFailed("The delimiter is one character, such as “,” or “;”.")

    def role(self, column: str) -> str | None:
        """The role the user gave this column, or None."""
        return self.roles.get(column)

    def as_dict(self) -> dict:
        """Plain JSON data, kept on the import and shown in its provenance."""
        out: dict = {}
        if self.roles:
            out["roles"] = dict(self.roles)
        for name in ("date_order", "delimiter"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.confirmed:
            out["confirmed"] = True
        return out

    @classmethod
    def from_dict(cls, data: dict | None) -> Choices:
        """Choices from as_dict() output (or a user's JSON); unknown keys are refused."""
        data = dict(data or {})
        known = {"roles", "date_order", "delimiter", "confirmed"}
        unknown = set(data) - known
        if unknown:
            raise ImportFailed(f"Unknown import choice {quoted(sorted(unknown))}.")
        roles = data.get("roles") or {}
        if not isinstance(roles, dict):
            raise ImportFailed("Column roles are a mapping of column name to role.")
        return cls(
            roles={str(k): str(v) for k, v in roles.items()},
            date_order=str(data.get("date_order") or ""),
            delimiter=str(data.get("delimiter") or ""),
            confirmed=bool(data.get("confirmed")),
        )


def settle_roles(
    columns: list[str],
    guessed: dict[str, tuple[str, str]],
    report: Report,
    choices: Choices,
) -> dict[str, str]:
    """Every column's role: the user's where given, else the importer's (role, why); all recorded.

    Table importers call this once per header and read the columns by the roles it returns, so
    the preview, the command line's --role and the API's roles change where data lands.
    """
    roles: dict[str, str] = {}
    for column in columns:
        given = choices.role(column)
        role, why = (given, "set by the user") if given else guessed.get(column, ("ignore", ""))
        report.assign(column, role, why or "Cairn has no rule that reads this column")
        roles[column] = role
    missing = [c for c in choices.roles if c not in roles]
    if missing:
        report.warn(f"Roles were given for columns the file does not have: {quoted(missing)}.")
    return roles

"""What happened to an import's rows: accepted, rejected with line numbers, warnings and the
guesses made on the user's behalf."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..wording import agree, plural
from .choices import ROLES

# How many line numbers a rejection reason keeps, and how many examples a warning names.
MAX_LINES_SHOWN = 5
MAX_EXAMPLES = 3


@dataclass
class Decision:
    """A guess an importer made that changes where data lands: what it decided and why."""

    subject: str  # "format", "columns", "step", "run name", "date format", "delimiter", ...
    choice: str
    why: str
    certain: bool = True
    file: str = ""

    def as_dict(self) -> dict:
        out = {"subject": self.subject, "choice": self.choice, "why": self.why}
        if not self.certain:
            out["certain"] = False
        if self.file:
            out["file"] = self.file
        return out


@dataclass
class Rejection:
    """Rows refused for one reason: how many, and the first file lines (1-based)."""

    reason: str
    count: int = 0
    lines: list[int] = field(default_factory=list)


@dataclass
class Report:
    """What happened to the rows of an import, and what the user should know about the data."""

    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decisions: list[Decision] = field(default_factory=list)
    # column name -> (role, why), for every column of every table read: the preview shows it.
    roles: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Set by the pipeline while it reads one file of several, so messages say which file.
    current_file: str = field(default="", init=False, repr=False, compare=False)
    _by_reason: dict[str, Rejection] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    _nan: int = field(default=0, init=False, repr=False, compare=False)
    _nan_series: int = field(default=0, init=False, repr=False, compare=False)
    _inf: int = field(default=0, init=False, repr=False, compare=False)
    _dups: int = field(default=0, init=False, repr=False, compare=False)
    _dup_examples: list[str] = field(default_factory=list, init=False, repr=False, compare=False)
    _backwards: int = field(default=0, init=False, repr=False, compare=False)
    _backwards_examples: list[str] = field(
        default_factory=list, init=False, repr=False, compare=False
    )

    def _prefixed(self, text: str) -> str:
        return f"{self.current_file}: {text}" if self.current_file else text

    def reject(self, reason: str, lines: int | list[int] | np.ndarray | None = None, count=None):
        """Count rows refused for a reason, keeping the first few line numbers."""
        reason = self._prefixed(reason)
        if lines is None:
            lines_list: list[int] = []
        elif isinstance(lines, int | np.integer):
            lines_list = [int(lines)]
        else:
            lines_list = [int(x) for x in np.asarray(lines)[:MAX_LINES_SHOWN]]
        if count is None:
            count = 1 if lines is None or isinstance(lines, int | np.integer) else len(lines)
        if count <= 0:
            return
        entry = self._by_reason.get(reason)
        if entry is None:
            entry = self._by_reason[reason] = Rejection(reason)
            self.rejected.append(entry)
        entry.count += count
        room = MAX_LINES_SHOWN - len(entry.lines)
        if room > 0:
            entry.lines.extend(lines_list[:room])
        self.rows_rejected += count

    def reject_rows(self, lines: np.ndarray, checks, ok: np.ndarray | None = None) -> np.ndarray:
        """Reject each row for the first (reason, mask) check it fails, with its file line;
        count the rest as accepted and return their mask (ok: rows still in play, default all)."""
        ok = np.ones(len(lines), dtype=bool) if ok is None else ok
        for reason, bad in checks:
            bad = bad & ok
            if bad.any():
                self.reject(reason, lines[bad], count=int(bad.sum()))
                ok &= ~bad
        self.rows_accepted += int(ok.sum())
        return ok

    def warn(self, message: str) -> None:
        """Add a warning sentence once."""
        message = self._prefixed(message)
        if message not in self.warnings:
            self.warnings.append(message)

    def decide(self, subject: str, choice: str, why: str, *, certain: bool = True) -> None:
        """Record a guess that changes where data lands; an uncertain one stops at a preview."""
        decision = Decision(subject, choice, why, certain, self.current_file)
        if decision not in self.decisions:
            self.decisions.append(decision)

    def assign(self, column: str, role: str, why: str) -> None:
        """Record the role a table column was given (a key of ROLES) and why."""
        assert role in ROLES, role
        self.roles[column] = (role, why)

    @property
    def uncertain(self) -> list[Decision]:
        """The decisions the user should look at before the data is written."""
        return [d for d in self.decisions if not d.certain]

    def finish(self) -> None:
        """Turn the counts gathered while building series into warning sentences."""
        self.current_file = ""
        if self._nan:
            self.warn(
                f"{plural(self._nan, 'value')} {agree(self._nan, 'was', 'were')} missing or "
                f"NaN in {plural(self._nan_series, 'series', 'series')}; "
                "they are kept as gaps in the curves."
            )
        if self._inf:
            self.warn(
                f"{plural(self._inf, 'infinite value')} (inf) "
                f"{agree(self._inf, 'was', 'were')} turned into NaN gaps."
            )
        if self._dups:
            self.warn(
                f"{plural(self._dups, 'point')} repeated a (run, metric, step) already seen; "
                f"the last one of each was kept ({'; '.join(self._dup_examples)})."
            )
        if self._backwards:
            self.warn(
                f"Steps go backwards in {plural(self._backwards, 'series', 'series')} "
                "(a restart?); the points are kept in file order: "
                f"{'; '.join(self._backwards_examples)}."
            )
        self._nan = self._inf = self._dups = self._backwards = 0

    def as_dict(self) -> dict:
        """The report as plain JSON-serialisable data."""
        return {
            "rows_read": int(self.rows_read),
            "rows_accepted": int(self.rows_accepted),
            "rows_rejected": int(self.rows_rejected),
            "rejected": [
                {"reason": r.reason, "count": int(r.count), "lines": [int(x) for x in r.lines]}
                for r in self.rejected
            ],
            "warnings": list(self.warnings),
            "decisions": [d.as_dict() for d in self.decisions],
            "roles": {column: list(pair) for column, pair in self.roles.items()},
        }

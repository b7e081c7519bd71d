"""Calendar quarters: (year, quarter) pairs, their dates and their neighbours."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    quarter: int

    @classmethod
    def of(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.quarter - 2, 1)

    @property
    def end(self) -> datetime.date:
        return self.next.start - datetime.timedelta(days=1)

    @property
    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.quarter == 1 else Quarter(self.year, self.quarter - 1)
        )

    @property
    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.quarter == 4 else Quarter(self.year, self.quarter + 1)
        )

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def months(self) -> str:
        return f"{self.start:%b}–{self.end:%b}"

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

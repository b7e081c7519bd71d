"""What the plan announces to other apps (the people side tells mentors)."""

from __future__ import annotations

from django.dispatch import Signal

# Sent with milestone= when a milestone becomes done, by hand or by a met metric target, inside
# the transaction that marks it. Receivers must not fail the caller: they log their errors.
milestone_completed = Signal()

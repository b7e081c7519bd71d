"""Forms of the review pages. They only read the request: the rules (length, the quote being in
its section) are the comment services', whose errors land back on these forms."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .comments import MAX_BODY, MAX_QUOTE


class _FeedbackForm(forms.Form):
    body = forms.CharField(required=False, strip=False, widget=forms.Textarea)

    def add_service_errors(self, error: ValidationError) -> None:
        """Put a service's ValidationError on the fields it names (others on the form)."""
        for field, messages in error.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)

    @property
    def max_body(self) -> int:
        return MAX_BODY


class RevisionCommentForm(_FeedbackForm):
    section = forms.CharField(required=False, max_length=40)
    quote = forms.CharField(required=False, strip=False)

    @property
    def max_quote(self) -> int:
        return MAX_QUOTE


class MilestoneCommentForm(_FeedbackForm):
    checkin = forms.IntegerField(required=False, min_value=1)


class ResultsCommentForm(_FeedbackForm):
    """Feedback pinned to a run (`run`) or to a chart (`metric` and `runs`, ids "1,2,3")."""

    run = forms.IntegerField(required=False, min_value=1)
    metric = forms.CharField(required=False, max_length=255)
    runs = forms.CharField(required=False, max_length=2000)

    def run_ids(self) -> list[int]:
        """The chart's run ids; made-up ones are left to the service to refuse."""
        parts = (self.cleaned_data.get("runs") or "").split(",")
        return [int(p) for p in parts if p.strip().isdigit()][:100]


class ReplyForm(_FeedbackForm):
    pass

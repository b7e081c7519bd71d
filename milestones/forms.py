from __future__ import annotations

from django import forms

from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class GoalForm(forms.ModelForm):
    quarter = forms.TypedChoiceField(choices=[(q, f"Q{q}") for q in range(1, 5)], coerce=int)

    class Meta:
        model = QuarterlyGoal
        fields = ("title", "year", "quarter", "why", "success_criterion", "visibility")
        widgets = {
            "why": forms.Textarea(attrs={"rows": 3}),
            "title": forms.TextInput(attrs={"placeholder": "e.g. Ship a model to production"}),
            "success_criterion": forms.TextInput(
                attrs={"placeholder": "e.g. p95 latency under 80 ms on the live endpoint"}
            ),
        }
        help_texts = {
            "visibility": "Private: only you. Mentors: you and mentors you invite. "
            "Public: also your public profile.",
        }


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "due_date")
        widgets = {
            "due_date": DATE_INPUT,
            "title": forms.TextInput(attrs={"placeholder": "Add a milestone…"}),
        }


class MilestoneEditForm(forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "due_date", "status", "evidence_url", "notes")
        widgets = {"due_date": DATE_INPUT, "notes": forms.Textarea(attrs={"rows": 4})}
        labels = {"evidence_url": "Evidence link"}
        help_texts = {"evidence_url": "A PR, report, notebook or demo that shows it is done."}


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=MilestoneStatus.choices)
    evidence_url = forms.URLField(max_length=500, required=False, assume_scheme="https")


class CheckInForm(forms.ModelForm):
    class Meta:
        model = CheckIn
        fields = ("progress", "confidence", "note")
        widgets = {
            "progress": forms.NumberInput(attrs={"min": 0, "max": 100, "step": 5}),
            "confidence": forms.Select(
                choices=[
                    (1, "1 · stuck"),
                    (2, "2 · worried"),
                    (3, "3 · on track"),
                    (4, "4 · confident"),
                    (5, "5 · certain"),
                ]
            ),
            "note": forms.Textarea(
                attrs={"rows": 2, "placeholder": "What moved? What is in the way?"}
            ),
        }
        labels = {"progress": "Progress %"}

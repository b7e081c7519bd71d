from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import cached_property

from projects.models import Project, Visibility
from projects.targets import metric_keys_by_project

from .links import SITE_PATH_HELP, is_site_path, validate_evidence_link
from .models import CheckIn, Milestone, MilestoneStatus, QuarterlyGoal

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TARGET_FIELDS = ("target_project", "target_metric", "target_comparison", "target_threshold")
TARGET_WIDGETS = {
    "target_metric": forms.TextInput(
        attrs={
            "list": "target-metrics-all",
            "placeholder": "e.g. val/accuracy",
            "autocomplete": "off",
            "spellcheck": "false",
        }
    ),
    "target_threshold": forms.NumberInput(attrs={"step": "any", "placeholder": "e.g. 0.9"}),
}
TARGET_LABELS = {
    "target_project": "Project",
    "target_metric": "Metric",
    "target_comparison": "Comparison",
    "target_threshold": "Threshold",
}


def _project_label(project: Project) -> str:
    private = project.visibility == Visibility.PRIVATE
    return f"{project.title} (private: named to you alone)" if private else project.title


class EvidenceLinkField(forms.URLField):
    """A web address (https:// assumed), or a path on this site such as a run's page."""

    default_validators = [validate_evidence_link]

    def to_python(self, value):
        value = (value or "").strip()
        if value[:1] in ("/", "\\"):
            # Never "https://"-completed: "//host" is another site dressed as a path.
            if not is_site_path(value):
                raise ValidationError(SITE_PATH_HELP, code="invalid")
            return value
        return super().to_python(value)


class TargetFormMixin:
    """The optional "complete automatically when a run reaches…" part of a milestone form.

    Only the owner's projects can be chosen; a target is given whole or not at all.
    """

    def __init__(self, *args, owner=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner = owner
        projects = Project.objects.owned_by(owner) if owner is not None else Project.objects.none()
        field = self.fields["target_project"]
        field.queryset = projects.order_by("title", "id")
        field.empty_label = "Choose a project…"
        field.label_from_instance = _project_label
        field.help_text = (
            "On a private project, whoever sees this goal learns only that a run met the "
            "target: never the project, the run, its value or its file."
        )
        self.fields["target_comparison"].choices = [
            ("", "Choose…"),
            *self.fields["target_comparison"].choices[1:],
        ]

    def main_fields(self):
        return [f for f in self.visible_fields() if f.name not in TARGET_FIELDS]

    def target_fields(self):
        return [self[name] for name in TARGET_FIELDS]

    @property
    def target_has_errors(self) -> bool:
        return any(self.errors.get(name) for name in TARGET_FIELDS)

    @cached_property
    def metric_keys(self) -> dict[int, list[str]]:
        return metric_keys_by_project(owner=self.owner) if self.owner is not None else {}

    @property
    def all_metric_keys(self) -> list[str]:
        return sorted({key for keys in self.metric_keys.values() for key in keys})

    def clean(self):
        cleaned = super().clean()
        metric = (cleaned.get("target_metric") or "").strip()
        cleaned["target_metric"] = metric
        given = {
            "target_project": cleaned.get("target_project") is not None,
            "target_metric": bool(metric),
            "target_comparison": bool(cleaned.get("target_comparison")),
            "target_threshold": cleaned.get("target_threshold") is not None,
        }
        # A field that failed its own check (a project that is not yours) is not missing.
        typed = any(given.values()) or any(name in self.errors for name in TARGET_FIELDS)
        if typed:
            messages = {
                "target_project": "Choose the project whose runs count.",
                "target_metric": "Name the metric, e.g. val/accuracy.",
                "target_comparison": "Choose how the value compares.",
                "target_threshold": "Give the number to reach.",
            }
            for name, present in given.items():
                if not present and name not in self.errors:
                    self.add_error(name, messages[name])
        return cleaned


class MilestoneForm(TargetFormMixin, forms.ModelForm):
    class Meta:
        model = Milestone
        fields = ("title", "due_date", *TARGET_FIELDS)
        widgets = {
            "due_date": DATE_INPUT,
            "title": forms.TextInput(attrs={"placeholder": "Add a milestone…"}),
            **TARGET_WIDGETS,
        }
        labels = TARGET_LABELS


class MilestoneEditForm(TargetFormMixin, forms.ModelForm):
    evidence_url = EvidenceLinkField(
        label="Evidence link",
        max_length=500,
        required=False,
        help_text="A PR, report, notebook or demo that shows it is done.",
    )

    class Meta:
        model = Milestone
        fields = ("title", "due_date", "status", "evidence_url", "notes", *TARGET_FIELDS)
        widgets = {
            "due_date": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 4}),
            **TARGET_WIDGETS,
        }
        labels = TARGET_LABELS


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


class TitleForm(forms.Form):
    title = forms.CharField(max_length=200)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=MilestoneStatus.choices)
    evidence_url = EvidenceLinkField(max_length=500, required=False, assume_scheme="https")


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

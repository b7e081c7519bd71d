from __future__ import annotations

from django import forms

from .models import Direction, ProjectStatus, Visibility
from .sections import GROUPS, LINK_FIELDS, SECTIONS, sections_in_group
from .services import MAX_SKILLS, normalise_tags

SECTION_MAX_CHARS = 50_000


class TagsField(forms.CharField):
    """Comma-separated skills and tags, as a normalised list."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list):
            return value
        return normalise_tags(value or "")

    def validate(self, value: list[str]) -> None:
        if len(value) > MAX_SKILLS:
            raise forms.ValidationError(f"At most {MAX_SKILLS} skills and tags.")


class ProjectForm(forms.Form):
    """The whole record: metadata, access, sections, success criterion and links."""

    title = forms.CharField(max_length=200)
    summary = forms.CharField(
        max_length=300, required=False, help_text="One line that says what it is and why."
    )
    status = forms.ChoiceField(choices=ProjectStatus.choices, initial=ProjectStatus.ACTIVE)
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PRIVATE,
        help_text="Private: only you. Mentors: you and mentors you invite. Unlisted: anyone "
        "with the link, but not on your profile or in search engines. Public: anyone.",
    )
    tags = TagsField(
        label="Skills and tags",
        required=False,
        help_text="Comma-separated, e.g. pytorch, nlp, mlops.",
    )
    success_metric = forms.CharField(
        max_length=80, required=False, help_text="e.g. macro_f1, val_loss, p95_latency_ms"
    )
    success_target = forms.FloatField(required=False, label="Target value")
    success_direction = forms.ChoiceField(
        choices=Direction.choices, initial=Direction.HIGHER, label="Direction"
    )
    change_note = forms.CharField(
        max_length=200,
        required=False,
        label="What changed?",
        help_text="Optional; shown in the history.",
    )
    base_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for section in SECTIONS:
            self.fields[section.key] = forms.CharField(
                label=section.title,
                required=False,
                max_length=SECTION_MAX_CHARS,
                help_text=section.help,
                strip=False,
                widget=forms.Textarea(attrs={"rows": 6, "placeholder": section.prompt}),
            )
        for field, label in LINK_FIELDS:
            self.fields[field] = forms.URLField(
                label=label, required=False, max_length=500, assume_scheme="https"
            )

    def groups(self):
        """Sections bound to their fields, grouped for the edit page."""
        return [(group, [self[s.key] for s in sections_in_group(group.key)]) for group in GROUPS]

    def link_fields(self):
        return [self[field] for field, _ in LINK_FIELDS]

    @classmethod
    def for_edit(cls, project, data=None) -> ProjectForm:
        """The edit form over the project's current revision, whose number is the edit's base."""
        current = project.current_revision
        initial = {
            **current.content(),
            "visibility": project.visibility,
            "base_revision": current.number,
        }
        return cls(data, initial=initial)

    def rebased(self, number: int) -> ProjectForm:
        """The same typed text, now based on revision number: saving it once more after reading
        what changed is a deliberate overwrite."""
        data = self.data.copy()
        data["base_revision"] = str(number)
        form = type(self)(data, initial=self.initial)
        form.is_valid()
        return form

    def edit(self, current_number: int) -> dict:
        """The keyword arguments of services.project_edit from the cleaned form."""
        return {
            "base_number": self.cleaned_data["base_revision"] or current_number,
            "content": self.content(),
            "visibility": self.cleaned_data["visibility"],
            "change_note": self.cleaned_data["change_note"],
        }

    def content(self) -> dict:
        """The cleaned data that belongs in a revision."""
        data = dict(self.cleaned_data)
        for key in ("visibility", "change_note", "base_revision"):
            data.pop(key, None)
        for section in SECTIONS:
            data[section.key] = data[section.key].replace("\r\n", "\n")
        return data


class ProjectFilterForm(forms.Form):
    q = forms.CharField(required=False, label="Search")
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ProjectStatus.choices])
    skill = forms.CharField(required=False)

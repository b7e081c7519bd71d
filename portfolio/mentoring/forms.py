from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser

from ..models import Mentorship
from .mentorships import invitation_create


class InvitationForm(forms.Form):
    """An invitation to a mentor: a link, optionally emailed, with a note the mentor reads."""

    email = forms.EmailField(
        label="Mentor's email (optional)",
        required=False,
        max_length=254,
        help_text="We email them the link. Leave it empty to share the link yourself.",
        widget=forms.EmailInput(attrs={"autocomplete": "off", "placeholder": "name@example.com"}),
    )
    note = forms.CharField(
        label="Note for your mentor (optional)",
        required=False,
        max_length=300,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "e.g. I'd love feedback on my MLOps goal."}
        ),
    )

    def __init__(self, *args, engineer: AbstractBaseUser, **kwargs):
        super().__init__(*args, **kwargs)
        self.engineer = engineer

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        if email and self.engineer.email and email.lower() == self.engineer.email.lower():
            raise forms.ValidationError("That is your own email: you cannot mentor yourself.")
        return email

    def save(self, *, site_url: str | None = None) -> tuple[Mentorship, str]:
        """Invite through the one service (the invitation and its email, in one transaction).

        site_url is the address the engineer is using, so the link works where they are."""
        return invitation_create(
            engineer=self.engineer,
            email=self.cleaned_data["email"],
            note=self.cleaned_data["note"].strip(),
            site_url=site_url,
        )

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.template import loader
from django.urls import reverse

from outbox.services import send_task_safely

from ..models import Mentorship
from ..tasks import send_email
from .mentorships import mentorship_invite, mentorship_record_email


def invitation_url(token: str, site_url: str | None = None) -> str:
    """The full link a mentor opens to accept; it carries the secret, so it is shown only once."""
    return (site_url or settings.CAIRN_SITE_URL).rstrip("/") + reverse(
        "mentoring:accept", args=[token]
    )


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
        """Create the invitation and, when an email was given, send it after the commit.

        site_url is the address the engineer is using, so the link works where they are."""
        mentorship, token = mentorship_invite(
            engineer=self.engineer,
            email=self.cleaned_data["email"],
            note=self.cleaned_data["note"].strip(),
        )
        url = invitation_url(token, site_url)
        if mentorship.email:
            self._send(mentorship, url)
        return mentorship, url

    def _send(self, mentorship: Mentorship, url: str) -> None:
        profile = getattr(self.engineer, "profile", None)
        name = (profile.display_name if profile else "") or self.engineer.get_username()
        name = " ".join(name.split())  # never a line break in the subject header
        body = loader.render_to_string(
            "portfolio/email/invitation.txt",
            {
                "engineer_name": name,
                "note": mentorship.note,
                "expires_at": mentorship.expires_at,
                "url": url,
            },
        )
        send_task_safely(
            send_email,
            kwargs={
                "subject": f"{name} invites you to mentor them on Cairn",
                "body": body,
                "to": [mentorship.email],
            },
            owner=self.engineer,
        )
        mentorship_record_email(mentorship=mentorship, actor=self.engineer)

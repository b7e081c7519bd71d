from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template import loader

from outbox.services import send_task_safely

from .models import RESERVED_SLUGS, Profile
from .tasks import send_email

MAX_LINKS = 8


class SignupForm(UserCreationForm):
    email = forms.EmailField(help_text="For password resets. Never shown to anyone.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if get_user_model().objects.filter(email__iexact=email).exists():
            raise ValidationError("An account with this email exists already. Log in instead?")
        return email


class LinksField(forms.CharField):
    """One http(s) URL per line, stored as a list."""

    widget = forms.Textarea(attrs={"rows": 3})

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value) -> list[str]:
        if isinstance(value, list):
            return value
        return [line.strip() for line in (value or "").splitlines() if line.strip()]

    def validate(self, value: list[str]) -> None:
        if len(value) > MAX_LINKS:
            raise ValidationError(f"At most {MAX_LINKS} links.")
        check = URLValidator(schemes=["http", "https"])
        for link in value:
            try:
                check(link)
            except ValidationError:
                raise ValidationError(
                    f"“{link}” is not a web address (http:// or https://)."
                ) from None


class ProfileForm(forms.ModelForm):
    links = LinksField(required=False, help_text="One web address per line: GitHub, blog, papers.")

    class Meta:
        model = Profile
        fields = (
            "slug",
            "display_name",
            "headline",
            "bio",
            "links",
            "open_to_work",
            "is_public",
            "show_activity",
        )
        widgets = {"bio": forms.Textarea(attrs={"rows": 6})}
        help_texts = {
            "slug": "Your public address: /u/&lt;slug&gt;/",
            "bio": "Markdown: **bold**, _italic_, [links](https://example.com), lists.",
        }

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].strip().lower()
        if slug in RESERVED_SLUGS:
            raise ValidationError(f"“{slug}” is reserved; pick another.")
        return slug


class CeleryPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes out from a worker, so the request never waits on SMTP."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        # Kept in the outbox while the broker is down: the email goes out when it is back.
        send_task_safely(
            send_email,
            kwargs={"subject": subject, "body": body, "to": [to_email]},
            owner=context.get("user"),
        )

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, UserCreationForm
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.template import loader

from outbox.services import send_task_safely

from ..models import Profile
from ..security import limits
from ..tasks import send_email

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
        from .services import slug_availability

        slug = self.cleaned_data["slug"].strip().lower()
        ok, message = slug_availability(slug=slug, profile=self.instance)
        if not ok:
            raise ValidationError(message, code="unavailable")
        return slug


class GuardedPasswordChangeForm(PasswordChangeForm):
    """Password change that stops testing current passwords after a few wrong ones, so a
    borrowed signed-in session cannot be used to guess the password."""

    def clean_old_password(self) -> str:
        limit = limits.password_change_guesses()
        key = f"user:{self.user.pk}"
        paused = limits.limit_check(limit, key)
        if not paused.allowed:
            raise ValidationError(
                f"Too many wrong current passwords. Try again in {paused.wait}, or log out and "
                "reset your password by email.",
                code="too_many_guesses",
            )
        try:
            return super().clean_old_password()
        except ValidationError:
            limits.limit_hit(limit, key)
            raise


class CeleryPasswordResetForm(PasswordResetForm):
    """Password reset whose email goes out from a worker, so the request never waits on SMTP.

    At most a few emails per address and per account an hour: more requests answer the same
    page (nothing tells whether an account exists) and send nothing."""

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ) -> None:
        limit = limits.password_reset_emails()
        user = context.get("user")
        per_address = limits.limit_hit(limit, f"email:{to_email.strip().lower()}")
        per_account = limits.limit_hit(limit, f"user:{user.pk if user else to_email}")
        if not (per_address.allowed and per_account.allowed):
            return
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        # Kept in the outbox while the broker is down: the email goes out when it is back.
        send_task_safely(
            send_email,
            kwargs={"subject": subject, "body": body, "to": [to_email]},
            owner=context.get("user"),
        )

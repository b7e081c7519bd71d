"""The notification settings form: how often Cairn emails a user."""

from __future__ import annotations

from django import forms

from ..models import NotifyChoice


class NotificationSettingsForm(forms.Form):
    email_notifications = forms.ChoiceField(
        label="Email me",
        choices=NotifyChoice.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how often Cairn may email you."},
    )

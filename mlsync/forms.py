"""The connection form: what the owner types, handed to the services, which hold the rules.

Secrets (a token, a password) are never rendered back into a page: not when editing, not after
an error. When a form with a typed secret comes back with errors, `secrets_dropped` says so,
and the page asks for them again.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .models import DEFAULT_SCHEDULE_MINUTES, ConnectionKind, CredentialKind, TrackerConnection
from .services import KEEP, REMOVE, REPLACE

SECRETS = ("token", "password")
SAVED_WORDS = {CredentialKind.TOKEN: "a token", CredentialKind.BASIC: "a user name and password"}


class ConnectionForm(forms.Form):
    kind = forms.ChoiceField(
        label="Read from",
        choices=[
            (ConnectionKind.SERVER, "An MLflow tracking server"),
            (ConnectionKind.STORE, "An MLflow store on the workers' machine"),
        ],
        initial=ConnectionKind.SERVER,
        widget=forms.RadioSelect,
    )
    server_url = forms.CharField(
        label="Server address",
        required=False,
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://mlflow.example.com"}),
    )
    store_path = forms.CharField(
        label="Store path",
        required=False,
        max_length=1000,
        help_text="An mlruns folder or an mlflow.db file, as the workers' machine sees it.",
        widget=forms.TextInput(attrs={"placeholder": "/srv/mlflow/mlruns", "spellcheck": "false"}),
    )
    experiments = forms.CharField(
        label="Experiments to follow",
        max_length=20_000,
        help_text="Names or ids, one a line (or separated by commas).",
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
    )
    credentials = forms.ChoiceField(
        label="Saved credentials",
        required=False,
        initial=KEEP,
        choices=[(KEEP, "Keep them"), (REPLACE, "Replace them"), (REMOVE, "Remove them")],
        widget=forms.RadioSelect,
    )
    token = forms.CharField(
        label="Token",
        required=False,
        max_length=4000,
        strip=False,
        help_text="Sent as a Bearer token (MLFLOW_TRACKING_TOKEN).",
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    username = forms.CharField(
        label="User name",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    password = forms.CharField(
        label="Password",
        required=False,
        max_length=4000,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    schedule_minutes = forms.IntegerField(
        label="Sync every (minutes)",
        required=False,
        initial=DEFAULT_SCHEDULE_MINUTES,
        help_text=f"Blank: every {DEFAULT_SCHEDULE_MINUTES}.",
    )
    enabled = forms.BooleanField(label="Sync on this schedule", required=False, initial=True)

    def __init__(self, data=None, *, connection: TrackerConnection | None = None, **kwargs):
        self.connection = connection
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "kind": connection.kind,
                "server_url": connection.server_url,
                "store_path": connection.store_path,
                "experiments": "\n".join(connection.experiments),
                "schedule_minutes": connection.schedule_minutes,
                "enabled": connection.enabled,
                "credentials": KEEP,
            }
        super().__init__(data, **kwargs)
        if connection is None or not connection.has_credentials:
            self.fields["credentials"].choices = [(KEEP, "None saved"), (REPLACE, "Add them")]

    @property
    def saved_credentials(self) -> str:
        """'a token' or 'a user name and password' when the connection has some saved."""
        kind = self.connection.credential_kind if self.connection else CredentialKind.NONE
        return SAVED_WORDS.get(kind, "")

    @property
    def secrets_dropped(self) -> bool:
        """A secret was typed into a form that came back with errors: it must be typed again."""
        return self.is_bound and bool(self.errors) and any(self.data.get(s) for s in SECRETS)

    def service_kwargs(self) -> dict:
        """The cleaned fields as the services take them."""
        data = dict(self.cleaned_data)
        if data["schedule_minutes"] is None:
            data["schedule_minutes"] = DEFAULT_SCHEDULE_MINUTES
        if self.connection is None:
            data.pop("credentials")
        else:
            data["credentials"] = data["credentials"] or KEEP
            if data["credentials"] == KEEP and any(data[s] for s in SECRETS):
                data["credentials"] = REPLACE  # typed new ones without choosing "replace"
        return data

    def add_service_errors(self, error: ValidationError) -> None:
        """The service's refusal, shown on the fields it names (the rest on top)."""
        if hasattr(error, "error_dict"):
            for field, errors in error.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, error)

"""The official MLflow client (mlflow-skinny), unchanged, against a live Cairn server."""

from __future__ import annotations

import mlflow
import pytest

from portfolio.api.tokens import token_create
from tracking import auth


@pytest.fixture
def alice_token(alice) -> str:
    return token_create(user=alice, name="training box")[1]


@pytest.fixture
def bob_token(bob) -> str:
    return token_create(user=bob, name="bob's laptop")[1]


@pytest.fixture
def tracking_uri(live_server) -> str:
    return f"{live_server.url}/mlflow"


@pytest.fixture
def use_token(monkeypatch, tracking_uri):
    """Point the client at Cairn with a token (as a user would, through the environment), with
    the client's retries kept short."""

    def use(token: str) -> None:
        monkeypatch.setenv("MLFLOW_TRACKING_URI", tracking_uri)
        monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", token)
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "0")
        monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")
        mlflow.set_tracking_uri(tracking_uri)
        # The client remembers the last set_experiment in a module global: each test starts
        # without one, as a fresh training script does.
        # (and in MLFLOW_EXPERIMENT_ID, which setenv makes monkeypatch remove afterwards).
        monkeypatch.setattr(mlflow.tracking.fluent, "_active_experiment_id", None)
        monkeypatch.setenv("MLFLOW_EXPERIMENT_ID", "")
        monkeypatch.delenv("MLFLOW_EXPERIMENT_ID")

    yield use
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(None)


@pytest.fixture
def as_alice(use_token, alice_token) -> str:
    use_token(alice_token)
    return alice_token


@pytest.fixture(autouse=True)
def _fresh_token_checks():
    """Each test starts without token checks remembered by an earlier one (tracking.auth)."""
    auth.forget_tokens()
    yield
    auth.forget_tokens()

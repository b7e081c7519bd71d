"""The MLflow endpoint answers in MLflow's error format, with MLflow's codes and statuses."""

from __future__ import annotations

import base64
import json

import pytest

from portfolio.api.tokens import token_create
from projects.models import PendingPoints, Run

URL = "/mlflow/api/2.0/mlflow/"


@pytest.fixture
def token(alice) -> str:
    return token_create(user=alice, name="script")[1]


def _call(client, method: str, path: str, token: str | None, body: dict | None = None, **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    headers.update(extra)
    if method == "GET":
        return client.get(URL + path, body or {}, **headers)
    return client.post(
        URL + path, json.dumps(body or {}), content_type="application/json", **headers
    )


def _error(response) -> tuple[int, str]:
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert set(data) == {"error_code", "message"}
    assert data["message"]
    return response.status_code, data["error_code"]


def _run(client, token: str) -> str:
    found = _call(client, "GET", "experiments/get-by-name", token, {"experiment_name": "Errors"})
    if found.status_code == 200:
        experiment_id = found.json()["experiment"]["experiment_id"]
    else:
        experiment = _call(client, "POST", "experiments/create", token, {"name": "Errors"})
        experiment_id = experiment.json()["experiment_id"]
    created = _call(client, "POST", "runs/create", token, {"experiment_id": experiment_id})
    return created.json()["run"]["info"]["run_id"]


def test_a_request_without_a_token_is_unauthenticated_even_when_signed_in(client, alice, bob, db):
    assert _error(_call(client, "POST", "runs/search", None)) == (401, "UNAUTHENTICATED")
    for user in (alice, bob):
        client.force_login(user)
        response = _call(client, "GET", "experiments/get", None, {"experiment_id": "1"})
        assert _error(response) == (401, "UNAUTHENTICATED")
    assert _error(client.get("/mlflow/anything")) == (404, "ENDPOINT_NOT_FOUND")


def test_basic_auth_takes_the_username_and_the_token(client, alice, token):
    good = base64.b64encode(f"alice:{token}".encode()).decode()
    response = client.post(
        URL + "experiments/search", "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {good}",
    )  # fmt: skip
    assert response.status_code == 200
    wrong = base64.b64encode(f"bob:{token}".encode()).decode()
    response = client.post(
        URL + "experiments/search", "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {wrong}",
    )  # fmt: skip
    assert _error(response) == (401, "UNAUTHENTICATED")


def test_an_experiment_name_is_taken_once(client, token):
    assert _call(client, "POST", "experiments/create", token, {"name": "Twice"}).status_code == 200
    response = _call(client, "POST", "experiments/create", token, {"name": "Twice"})
    assert _error(response) == (400, "RESOURCE_ALREADY_EXISTS")


def test_missing_things_are_resource_does_not_exist(client, token):
    assert _error(_call(client, "GET", "runs/get", token, {"run_id": "0" * 32})) == (
        404,
        "RESOURCE_DOES_NOT_EXIST",
    )
    for experiment_id in ("999999", "abc"):
        response = _call(client, "GET", "experiments/get", token, {"experiment_id": experiment_id})
        assert _error(response) == (404, "RESOURCE_DOES_NOT_EXIST")
    response = _call(client, "GET", "experiments/get-by-name", token, {"experiment_name": "nope"})
    assert _error(response) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_bad_input_is_invalid_parameter_value_and_changes_nothing(client, token):
    run_id = _run(client, token)
    bad_batches = [
        {"metrics": [{"key": "loss", "value": "high", "timestamp": 1, "step": 0}]},
        {"metrics": [{"key": "loss", "value": 1.0, "timestamp": -1, "step": 0}]},
        {"metrics": [{"key": "../etc", "value": 1.0, "timestamp": 1, "step": 0}]},
        {"metrics": [{"key": "ok", "value": 1.0, "timestamp": 1, "step": 0}] * 1001},
        {"params": [{"key": f"p{i}", "value": "1"} for i in range(101)]},
        {"tags": [{"key": f"t{i}", "value": "1"} for i in range(101)]},
        {"params": [{"key": "a", "value": "1"}, {"key": "a", "value": "2"}]},
        {"params": [{"key": "long", "value": "x" * 6001}]},
        {"metrics": "not a list"},
    ]
    for batch in bad_batches:
        response = _call(client, "POST", "runs/log-batch", token, {"run_id": run_id, **batch})
        assert _error(response) == (400, "INVALID_PARAMETER_VALUE"), batch
    assert not PendingPoints.objects.exists()
    assert Run.objects.get(live__uuid=run_id).params == {}
    response = client.post(
        URL + "runs/log-batch", "{not json", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert _error(response) == (400, "MALFORMED_REQUEST")
    response = _call(client, "POST", "runs/update", token, {"run_id": run_id, "status": "DONE"})
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")


def test_special_values_travel_as_mlflow_writes_them(client, token):
    run_id = _run(client, token)
    metrics = [
        {"key": "loss", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "loss", "value": "Infinity", "timestamp": 2, "step": 1},
        {"key": "loss", "value": 0.5, "timestamp": "3", "step": "2"},
    ]
    assert _call(client, "POST", "runs/log-batch", token, {"run_id": run_id, "metrics": metrics})
    history = _call(
        client, "GET", "metrics/get-history", token, {"run_id": run_id, "metric_key": "loss"}
    ).json()["metrics"]
    assert [m["value"] for m in history] == ["NaN", "Infinity", 0.5]
    assert [m["step"] for m in history] == [0, 1, 2]


def test_unsupported_calls_answer_in_mlflow_format(client, token):
    for method, path in (
        ("POST", "registered-models/create"),
        ("GET", "model-versions/get"),
        ("POST", "logged-models"),
        ("POST", "traces"),
        ("POST", "experiments/delete"),
    ):
        assert _error(_call(client, method, path, token)) == (501, "NOT_IMPLEMENTED")
    assert _error(_call(client, "POST", "no/such/thing", token)) == (404, "ENDPOINT_NOT_FOUND")
    assert _error(_call(client, "GET", "runs/log-batch", token)) == (404, "ENDPOINT_NOT_FOUND")


def test_a_token_past_its_rate_limit_gets_429_with_retry_after(client, token, settings):
    settings.CAIRN_LIMIT_MLFLOW = (2, 60)
    for _ in range(2):
        assert _call(client, "POST", "experiments/search", token).status_code == 200
    response = _call(client, "POST", "experiments/search", token)
    assert _error(response) == (429, "REQUEST_LIMIT_EXCEEDED")
    assert 0 < int(response["Retry-After"]) <= 60


def test_history_bulk_interval_samples_steps_of_several_runs(client, token):
    first, second = _run(client, token), _run(client, token)
    for run_id in (first, second):
        metrics = [
            {"key": "loss", "value": float(s), "timestamp": 10 + s, "step": s} for s in range(100)
        ]
        _call(client, "POST", "runs/log-batch", token, {"run_id": run_id, "metrics": metrics})
    response = _call(
        client,
        "GET",
        "metrics/get-history-bulk-interval",
        token,
        {"run_ids": [first, second], "metric_key": "loss", "max_results": 10},
    )
    metrics = response.json()["metrics"]
    steps = sorted({m["step"] for m in metrics})
    assert 0 in steps and 99 in steps and len(steps) <= 12
    assert {m["run_id"] for m in metrics} == {first, second}
    response = _call(
        client,
        "GET",
        "metrics/get-history-bulk-interval",
        token,
        {"run_ids": first, "metric_key": "loss", "start_step": 5},
    )
    assert _error(response) == (400, "INVALID_PARAMETER_VALUE")


def test_the_ui_path_answers_like_the_api_path(client, token):
    response = client.post(
        "/mlflow/ajax-api/2.0/mlflow/experiments/search", "{}", content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json() == {"experiments": []}

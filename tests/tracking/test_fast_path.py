"""The lean log-batch path keeps every rule: a retry is stored and counted once, calls to other
keys never undo each other's summary, a deleted run takes nothing, a revoked token or a
deactivated user stops working within tracking.auth.TOKEN_CACHE_SECONDS, and the provenance
times are kept."""

from __future__ import annotations

import json

import pytest

from portfolio.api.tokens import token_create, token_revoke
from portfolio.models import ApiToken
from projects.models import ExperimentImport, PendingPoints, Run
from tracking import auth
from tracking.models import LiveRun

URL = "/mlflow/api/2.0/mlflow/"


@pytest.fixture
def token(alice) -> str:
    return token_create(user=alice, name="loop")[1]


def _post(client, path: str, token: str, body: dict):
    return client.post(
        URL + path, json.dumps(body), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip


def _new_run(client, token: str) -> str:
    experiment = _post(client, "experiments/create", token, {"name": "Fast"}).json()
    run = _post(client, "runs/create", token, {"experiment_id": experiment["experiment_id"]})
    return run.json()["run"]["info"]["run_id"]


def _batch(run_id: str, key: str, steps: range, base: int = 1_000) -> dict:
    metrics = [{"key": key, "value": s / 10, "timestamp": base + s, "step": s} for s in steps]
    return {"run_id": run_id, "metrics": metrics}


def test_a_retried_batch_is_counted_once_in_the_summary_before_any_fold(client, token):
    run_id = _new_run(client, token)
    batch = _batch(run_id, "loss", range(100))
    for _ in range(3):  # the call, and two retries of it
        assert _post(client, "runs/log-batch", token, batch).status_code == 200

    run = Run.objects.get(live__uuid=run_id)
    assert PendingPoints.objects.filter(run=run).count() == 1
    assert run.summary["loss"]["count"] == 100
    assert run.summary["loss"]["last"] == pytest.approx(9.9)
    assert run.summary["loss"]["step"] == 99


def test_calls_to_other_keys_keep_each_others_summary(client, token):
    run_id = _new_run(client, token)
    for key in ("loss", "accuracy", "lr"):
        assert (
            _post(client, "runs/log-batch", token, _batch(run_id, key, range(10))).status_code
            == 200
        )
    assert (
        _post(client, "runs/log-batch", token, _batch(run_id, "loss", range(10, 20))).status_code
        == 200
    )

    summary = Run.objects.get(live__uuid=run_id).summary
    assert set(summary) == {"loss", "accuracy", "lr"}
    assert summary["loss"]["count"] == 20 and summary["loss"]["step"] == 19
    assert summary["accuracy"]["count"] == 10


def test_a_deleted_run_takes_no_points(client, token):
    run_id = _new_run(client, token)
    assert _post(client, "runs/delete", token, {"run_id": run_id}).status_code == 200
    response = _post(client, "runs/log-batch", token, _batch(run_id, "loss", range(5)))
    assert response.status_code == 400
    assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert not PendingPoints.objects.filter(run__live__uuid=run_id).exists()


def test_the_first_points_set_the_provenance_times(client, token):
    run_id = _new_run(client, token)
    assert (
        _post(client, "runs/log-batch", token, _batch(run_id, "loss", range(5))).status_code == 200
    )
    live = LiveRun.objects.get(uuid=run_id)
    assert live.first_point_at is not None and live.last_point_at is not None
    report = ExperimentImport.objects.get(runs__live=live).report
    # The points' own times (1 s after the epoch and on), not the time of the call.
    assert report["first_point_at"].startswith("1970-01-01T00:00:01")
    assert report["last_point_at"].startswith("1970-01-01T00:00:01.004")


def test_a_revoked_token_stops_working_within_the_cache_second(client, token, alice, monkeypatch):
    run_id = _new_run(client, token)
    token_revoke(token=ApiToken.objects.get(user=alice))
    clock = auth.time.monotonic()
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock + auth.TOKEN_CACHE_SECONDS + 0.01)
    response = _post(client, "runs/log-batch", token, _batch(run_id, "loss", range(5)))
    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"


def test_a_deactivated_user_stops_working_within_the_cache_second(
    client, token, alice, monkeypatch
):
    run_id = _new_run(client, token)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    clock = auth.time.monotonic()
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock + auth.TOKEN_CACHE_SECONDS + 0.01)
    response = _post(client, "runs/log-batch", token, _batch(run_id, "loss", range(5)))
    assert response.status_code == 401


def test_an_unknown_token_is_never_remembered(client, token):
    forged = token[:-4] + "AAAA"
    for _ in range(2):
        assert _post(client, "experiments/search", forged, {}).status_code == 401
    assert _post(client, "experiments/search", token, {}).status_code == 200


def test_a_nan_newest_point_is_the_latest_value_as_mlflow_keeps_it(client, token):
    run_id = _new_run(client, token)
    metrics = [
        {"key": "loss", "value": 0.5, "timestamp": 1_000, "step": 0},
        {"key": "loss", "value": float("nan"), "timestamp": 2_000, "step": 1},
    ]
    assert (
        _post(client, "runs/log-batch", token, {"run_id": run_id, "metrics": metrics}).status_code
        == 200
    )

    def latest() -> dict:
        run = client.get(
            URL + "runs/get", {"run_id": run_id}, HTTP_AUTHORIZATION=f"Bearer {token}"
        ).json()["run"]
        return {m["key"]: m for m in run["data"]["metrics"]}["loss"]

    assert (latest()["value"], latest()["step"]) == ("NaN", 1)
    # Cairn's own tables keep to finite values.
    assert Run.objects.get(live__uuid=run_id).summary["loss"]["last"] == 0.5
    later = [{"key": "loss", "value": 0.25, "timestamp": 3_000, "step": 2}]
    assert (
        _post(client, "runs/log-batch", token, {"run_id": run_id, "metrics": later}).status_code
        == 200
    )
    assert (latest()["value"], latest()["step"]) == (0.25, 2)

"""The real MLflow the sync tests run against: a server, and the official client logging to it."""

from __future__ import annotations

import requests

from tests.mlflow_env import run_in_mlflow_env


def test_the_official_client_logs_to_a_real_mlflow_server(mlflow_server):
    done = run_in_mlflow_env(
        """
        import mlflow
        mlflow.set_experiment("smoke")
        with mlflow.start_run(run_name="first") as run:
            mlflow.log_param("lr", "0.1")
            mlflow.log_metric("loss", 0.5, step=1)
        print(run.info.run_id)
        """,
        env=mlflow_server.client_env,
    )
    run_id = done.stdout.split()[-1]
    answer = requests.get(
        f"{mlflow_server.url}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=10
    ).json()
    assert answer["run"]["data"]["params"] == [{"key": "lr", "value": "0.1"}]
    assert answer["run"]["info"]["status"] == "FINISHED"

"""MLflow stores written by the real client (tests/mlflow_env.py) for the store tests: the same
runs in an mlruns folder and in an mlflow.db file, in two phases."""

from __future__ import annotations

import json

from tests.mlflow_env import run_in_mlflow_env

# The first phase: two experiments, runs in every state, params, tags, nested keys, NaN and ±inf.
WRITE = r"""
import json, math, mlflow
from mlflow.tracking import MlflowClient

client = MlflowClient()
churn = mlflow.set_experiment("churn").experiment_id
ids = {"churn": churn}
with mlflow.start_run(run_name="baseline") as run:
    mlflow.log_params({"lr": "0.1", "layers": "3", "opt/beta": "0.9"})
    mlflow.set_tags({"team": "ml", "stage/kind": "nightly"})
    for step in range(5):
        mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        mlflow.log_metric("eval/auc", 0.5 + step * 0.1, step=step)
    mlflow.log_metric("odd", math.nan, step=0)
    mlflow.log_metric("odd", math.inf, step=1)
    mlflow.log_metric("odd", -math.inf, step=2)
    ids["baseline"] = run.info.run_id
with mlflow.start_run(run_name="crashed") as run:
    mlflow.log_metric("loss", 2.0, step=0)
    ids["crashed"] = run.info.run_id
client.set_terminated(ids["crashed"], "FAILED")
going = client.create_run(churn, run_name="going").info.run_id
client.log_metric(going, "loss", 0.9, step=0)
ids["going"] = going
gone = client.create_run(churn, run_name="gone").info.run_id
client.log_metric(gone, "loss", 0.7, step=0)
client.set_terminated(gone, "FINISHED")
client.delete_run(gone)
ids["gone"] = gone
old = client.create_experiment("old")
ancient = client.create_run(old, run_name="ancient").info.run_id
client.log_metric(ancient, "loss", 0.5, step=0)
client.set_terminated(ancient, "FINISHED")
client.delete_experiment(old)
ids.update(old=old, ancient=ancient)
print(json.dumps(ids))
"""

# The second phase, after a sync: new points on a finished run, a new run, a run deleted, a
# running run finished.
MORE = r"""
import json, os, time, mlflow
from mlflow.tracking import MlflowClient

ids = json.loads(os.environ["RUN_IDS"])
client = MlflowClient()
since = time.time_ns() // 1_000_000
time.sleep(0.05)
client.log_metric(ids["baseline"], "loss", 0.1, step=5)
mlflow.set_experiment(experiment_id=ids["churn"])
with mlflow.start_run(run_name="late") as run:
    mlflow.log_metric("loss", 0.3, step=0)
client.delete_run(ids["crashed"])
client.set_terminated(ids["going"], "FINISHED")
print(json.dumps({"since": since, "late": run.info.run_id}))
"""


def write_store(uri: str, script: str, **env: str) -> dict:
    """Run script with MLflow tracking to uri; the JSON it printed last."""
    done = run_in_mlflow_env(
        script, {"MLFLOW_TRACKING_URI": uri, "MLFLOW_ALLOW_FILE_STORE": "true", **env}
    )
    return json.loads(done.stdout.strip().splitlines()[-1])

"""Runs written to an MLflow server by the official client, as a test describes them."""

from __future__ import annotations

import json

from tests.mlflow_env import run_in_mlflow_env

# Operations, in order: {"op": "run", "as": label, "name", "params", "tags", "metrics":
# {key: [[step, value], …]}, "status": "FINISHED" or None (left running)}, {"op": "log",
# "run": id or label, "metrics": …}, {"op": "end", "run", "status"}, {"op": "delete" or
# "restore", "run"}. Prints {label: run_id}.
SCRIPT = """
import json, os, time
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

client = MlflowClient()
spec = json.loads(os.environ["MLSYNC_OPS"])
name = spec["experiment"]
found = client.get_experiment_by_name(name)
experiment = found.experiment_id if found else client.create_experiment(name)
ids = {}
now = int(time.time() * 1000)

def metrics(points):
    return [Metric(key, float(value), now + int(step), int(step))
            for key, rows in points.items() for step, value in rows]

for op in spec["ops"]:
    run_id = ids.get(op.get("run"), op.get("run"))
    if op["op"] == "run":
        run = client.create_run(experiment, run_name=op["name"], tags=op.get("tags") or {})
        run_id = ids[op["as"]] = run.info.run_id
        params = [Param(k, str(v)) for k, v in (op.get("params") or {}).items()]
        batch = metrics(op.get("metrics") or {})
        for start in range(0, max(len(batch), 1), 1000):
            client.log_batch(run_id, metrics=batch[start:start + 1000],
                             params=params if start == 0 else [], synchronous=True)
        if op.get("status"):
            client.set_terminated(run_id, op["status"])
    elif op["op"] == "log":
        client.log_batch(run_id, metrics=metrics(op["metrics"]), synchronous=True)
    elif op["op"] == "end":
        client.set_terminated(run_id, op.get("status", "FINISHED"))
    elif op["op"] == "delete":
        client.delete_run(run_id)
    elif op["op"] == "restore":
        client.restore_run(run_id)
print(json.dumps(ids))
"""


def mlflow_log(server, experiment: str, ops: list[dict]) -> dict[str, str]:
    """Carry out ops on the server with the real client; the ids of the runs made, by label."""
    env = {**server.client_env, "MLSYNC_OPS": json.dumps({"experiment": experiment, "ops": ops})}
    return json.loads(run_in_mlflow_env(SCRIPT, env=env).stdout.strip().splitlines()[-1])


def steps(n: int, first: int = 0, scale: float = 1.0) -> list[list[float]]:
    """n points [step, value] from step first on."""
    return [[s, scale / (s + 1)] for s in range(first, first + n)]

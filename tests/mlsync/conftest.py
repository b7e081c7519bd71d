"""Fixtures of the MLflow sync tests: a real MLflow (tests/mlflow_env.py) and a connection."""

from __future__ import annotations

from tests.mlflow_env import mlflow_auth_server, mlflow_env, mlflow_server

__all__ = ["mlflow_auth_server", "mlflow_env", "mlflow_server"]

"""The handlers of the MLflow calls Cairn serves; importing them fills tracking.registry."""

from . import experiments, metrics, runs  # noqa: F401

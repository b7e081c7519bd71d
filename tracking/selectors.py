"""Reads of the MLflow endpoint, every one scoped to the token's owner: someone else's
experiment or run answers exactly like one that does not exist."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser

from projects import appends
from projects.appends import Points
from projects.models import Project

from .errors import MlflowError
from .models import LiveRun

DEFAULT_SLUG = "mlflow-default"
DEFAULT_EXPERIMENT_ID = "0"


def _experiment_missing(experiment_id: str) -> MlflowError:
    return MlflowError.missing(f"No Experiment with id={experiment_id} exists")


def experiment_for(*, user: AbstractBaseUser, experiment_id: str) -> Project:
    """The owner's project that experiment_id names ("0": the default, made on first use)."""
    if experiment_id == DEFAULT_EXPERIMENT_ID:
        from .services import experiment_default

        return experiment_default(user=user)
    if not re.fullmatch(r"\d{1,18}", experiment_id or ""):
        raise _experiment_missing(experiment_id)
    project = Project.objects.owned_by(user).filter(pk=int(experiment_id)).first()
    if project is None:
        raise _experiment_missing(experiment_id)
    return project


def experiment_by_name(*, user: AbstractBaseUser, name: str) -> Project:
    """The owner's project titled name (or, failing that, with that slug)."""
    projects = Project.objects.owned_by(user).order_by("id")
    project = projects.filter(title=name).first() or projects.filter(slug=name).first()
    if project is None and name == "Default":
        from .services import experiment_default

        return experiment_default(user=user)
    if project is None:
        raise MlflowError.missing(f"Could not find experiment with name {name}")
    return project


def _run_missing(run_id: str) -> MlflowError:
    return MlflowError.missing(f"Run with id={run_id} not found")


def live_run(*, user: AbstractBaseUser, run_id: str) -> LiveRun:
    """The owner's run with this MLflow run id, with its Cairn run and project."""
    live = (
        LiveRun.objects.owned_by(user)
        .select_related("run", "run__project")
        .filter(uuid=run_id)
        .first()
    )
    if live is None:
        raise _run_missing(run_id)
    return live


def live_run_for_update(*, user: AbstractBaseUser, run_id: str) -> LiveRun:
    """live_run, with the run's rows locked until the transaction ends (writes to one run
    never lose each other's params, tags or summary)."""
    live = (
        LiveRun.objects.owned_by(user)
        .select_related("run")
        .select_for_update(of=("self", "run"))
        .filter(uuid=run_id)
        .first()
    )
    if live is None:
        raise _run_missing(run_id)
    return live


@dataclass
class AppendTarget:
    """What a log call needs of a run, read without a lock: appends of points are inserts."""

    live_id: int
    run_id: int
    import_id: int
    uuid: str
    lifecycle_stage: str
    summary: dict
    first_point_at: datetime | None
    last_point_at: datetime | None


_APPEND_FIELDS = (
    "pk",
    "run_id",
    "run__experiment_import_id",
    "uuid",
    "lifecycle_stage",
    "run__summary",
    "first_point_at",
    "last_point_at",
)


def live_run_for_append(*, user: AbstractBaseUser, run_id: str) -> AppendTarget:
    """The owner's run with this MLflow run id, as one query of the fields a log call reads."""
    row = LiveRun.objects.owned_by(user).filter(uuid=run_id).values_list(*_APPEND_FIELDS).first()
    if row is None:
        raise _run_missing(run_id)
    return AppendTarget(*row)


def metric_points(*, live: LiveRun, key: str) -> Points:
    """Every point of one metric of the run, folded or not, in step order."""
    return appends.run_points(run_id=live.run_id, key=key)

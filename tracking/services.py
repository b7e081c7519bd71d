"""Writes of the MLflow endpoint: experiments (projects), runs, params, tags and points.

Every write is scoped to the token's owner by the selectors it starts from, and raises
MlflowError with MLflow's code and words when the caller asks for something MLflow refuses.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from outbox.services import send_task_safely
from projects import appends
from projects.appends import Points
from projects.models import ExperimentImport, ImportStatus, Project, Run
from projects.provenance import LIVE_FORMAT, points_span
from projects.services import project_create
from projects.signals import runs_deleted_or_restored, send_safely

from .errors import MlflowError
from .models import ExperimentTag, LifecycleStage, LiveRun, RunStatus
from .selectors import DEFAULT_SLUG, AppendTarget, live_run_for_append, live_run_for_update

LIVE_VERSION = "mlflow-api 1"
TERMINAL = (RunStatus.FINISHED, RunStatus.FAILED, RunStatus.KILLED)
MAX_TITLE = 200


@dataclass
class Source:
    """Who logs: the token and, for provenance, the client and host of the request."""

    user: AbstractBaseUser
    token_prefix: str
    client: str = ""
    host: str = ""


@dataclass
class Batch:
    """What one log call carries, checked: points by key, params and tags in order."""

    points: dict[str, Points] = field(default_factory=dict)
    params: list[tuple[str, str]] = field(default_factory=list)
    tags: list[tuple[str, str]] = field(default_factory=list)


def _now_ms() -> int:
    return int(timezone.now().timestamp() * 1000)


def _check_title(name: str) -> str:
    name = name.strip()
    if not name:
        raise MlflowError.invalid(f"Invalid experiment name: '{name}'")
    if len(name) > MAX_TITLE:
        raise MlflowError.invalid(
            f"Experiment names become Cairn project titles, at most {MAX_TITLE} characters; "
            f"this one has {len(name)}."
        )
    return name


def experiment_create(*, user: AbstractBaseUser, name: str, tags: list[tuple[str, str]]) -> Project:
    """A new private project named name, as an MLflow experiment."""
    name = _check_title(name)
    if Project.objects.owned_by(user).filter(title=name).exists():
        raise MlflowError("RESOURCE_ALREADY_EXISTS", f"Experiment(name={name}) already exists.")
    with transaction.atomic():
        project = project_create(
            owner=user,
            content={"title": name, "summary": "Logged from training code (MLflow API)."},
            change_note="Created through the MLflow API",
        )
        experiment_set_tags(project=project, tags=tags)
    return project


def experiment_default(*, user: AbstractBaseUser) -> Project:
    """The owner's project for MLflow's default experiment ("0"), made on first use."""
    project = Project.objects.owned_by(user).filter(slug=DEFAULT_SLUG).first()
    if project is not None:
        return project
    with transaction.atomic():
        project = project_create(
            owner=user,
            content={"title": "Default", "summary": "Runs logged without an experiment."},
            change_note="Created through the MLflow API (default experiment)",
        )
        if (
            project.slug != DEFAULT_SLUG
            and not Project.objects.filter(owner=user, slug=DEFAULT_SLUG).exists()
        ):
            Project.objects.filter(pk=project.pk).update(slug=DEFAULT_SLUG)
            project.slug = DEFAULT_SLUG
    return project


def experiment_set_tags(*, project: Project, tags: list[tuple[str, str]]) -> None:
    """Set (or replace) tags on an experiment."""
    for key, value in tags:
        ExperimentTag.objects.update_or_create(project=project, key=key, defaults={"value": value})


_ADJECTIVES = ("bright", "calm", "eager", "gentle", "honest", "keen", "lively", "mellow")
_NOUNS = ("owl", "fox", "heron", "lynx", "otter", "raven", "seal", "sparrow", "wren")


def _run_name() -> str:
    """A name like MLflow gives unnamed runs ("keen-otter-412")."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(1000)}"


@transaction.atomic
def run_create(
    *,
    project: Project,
    source: Source,
    start_time: int | None,
    tags: list[tuple[str, str]],
    run_name: str = "",
) -> LiveRun:
    """A RUNNING run in the project, with the import row that tells where its points came from."""
    run_uuid = uuid.uuid4().hex
    tag_map = dict(tags)
    name = (run_name or tag_map.get("mlflow.runName") or _run_name())[:250]
    tag_map["mlflow.runName"] = name
    start_time = start_time if start_time is not None else _now_ms()
    experiment_import = ExperimentImport.objects.create(
        project=project,
        uploaded_by=source.user,
        original_name=f"MLflow API: {name}"[:255],
        sha256=hashlib.sha256(f"{LIVE_FORMAT}:{run_uuid}".encode()).hexdigest(),
        size=0,
        requested_format=LIVE_FORMAT,
        detected_format=LIVE_FORMAT,
        status=ImportStatus.SUCCEEDED,
        progress=1.0,
        runs_count=1,
        importer_version=LIVE_VERSION,
        report={
            "source": LIVE_FORMAT,
            "client": source.client,
            "host": source.host,
            "token_prefix": source.token_prefix,
        },
        started_at=timezone.now(),
    )
    run = Run.objects.create(
        project=project,
        experiment_import=experiment_import,
        name=name,
        external_id=run_uuid,
        tags=tag_map,
        started_at=datetime.fromtimestamp(start_time / 1000, tz=UTC),
        status=RunStatus.RUNNING,
    )
    return LiveRun.objects.create(
        run=run,
        uuid=run_uuid,
        user=source.user,
        status=RunStatus.RUNNING,
        start_time=start_time,
        client=source.client,
        host=source.host,
        token_prefix=source.token_prefix,
    )


def _check_active(lifecycle_stage: str, run_id: str) -> None:
    if lifecycle_stage != LifecycleStage.ACTIVE:
        raise MlflowError.invalid(
            f"The run {run_id} must be in the 'active' state. Current state is {lifecycle_stage}."
        )


def _set_params_tags(live: LiveRun, batch: Batch) -> None:
    """Add a call's params and tags to the locked run: a param never changes once set."""
    run = live.run
    changed: dict = {}
    if batch.params:
        params = dict(run.params)
        for key, value in batch.params:
            old = params.get(key)
            if old is not None and old != value:
                raise MlflowError.invalid(
                    f"Changing param values is not allowed. Param with key='{key}' was "
                    f"already logged with value='{old}' for run ID='{live.uuid}'. "
                    f"Attempted logging new value '{value}'."
                )
            params[key] = value
        if params != run.params:
            changed["params"] = run.params = params
    if batch.tags:
        tags = dict(run.tags)
        tags.update(batch.tags)
        if tags != run.tags:
            changed["tags"] = run.tags = tags
            if tags.get("mlflow.runName") and tags["mlflow.runName"] != run.name:
                changed["name"] = run.name = tags["mlflow.runName"][:255]
    if changed:
        Run.objects.filter(pk=run.pk).update(**changed)
        LiveRun.objects.filter(pk=live.pk).update(updated_at=timezone.now())


def _note_points(target: AppendTarget, points: dict[str, Points]) -> None:
    """Keep the run's last point time (to the second: provenance, stale runs) and, on its
    first points, the span its provenance shows (the fold keeps the span up to date)."""
    now = timezone.now()
    if target.last_point_at and (now - target.last_point_at).total_seconds() < 1:
        return
    update = {"last_point_at": now, "updated_at": now}
    if target.first_point_at is None:
        update["first_point_at"] = now
        first = min(int(p.timestamps.min()) for p in points.values() if len(p))
        last = max(int(p.timestamps.max()) for p in points.values() if len(p))
        imp = ExperimentImport.objects.get(pk=target.import_id)
        ExperimentImport.objects.filter(pk=imp.pk).update(report=points_span(imp, first, last))
    LiveRun.objects.filter(pk=target.live_id).update(**update)


def run_log(*, user: AbstractBaseUser, run_id: str, batch: Batch, source: Source) -> None:
    """Log points, params and tags to a run in one transaction (log-batch and its one-item
    cousins): params never change once set, identical points are stored once. Points alone,
    a training loop's many calls, take no row lock (they are inserts, and the summary is
    merged in the UPDATE); params and tags rewrite the run's maps under its row lock."""
    with transaction.atomic():
        if batch.params or batch.tags:
            live = live_run_for_update(user=user, run_id=run_id)
            _check_active(live.lifecycle_stage, live.uuid)
            _set_params_tags(live, batch)
        if not batch.points:
            return
        target = live_run_for_append(user=user, run_id=run_id)
        _check_active(target.lifecycle_stage, target.uuid)
        if appends.points_append(
            run_id=target.run_id, summary=target.summary, batches=batch.points
        ):
            _note_points(target, batch.points)


def run_delete_tag(*, user: AbstractBaseUser, run_id: str, key: str) -> None:
    """Remove a tag from a run; a tag it does not have answers RESOURCE_DOES_NOT_EXIST."""
    with transaction.atomic():
        live = live_run_for_update(user=user, run_id=run_id)
        _check_active(live.lifecycle_stage, live.uuid)
        tags = dict(live.run.tags)
        if key not in tags:
            raise MlflowError.missing(f"No tag with name: {key} in run with id {run_id}")
        del tags[key]
        Run.objects.filter(pk=live.run_id).update(tags=tags)
        LiveRun.objects.filter(pk=live.pk).update(updated_at=timezone.now())


def run_update(
    *,
    user: AbstractBaseUser,
    run_id: str,
    status: str | None,
    end_time: int | None,
    run_name: str = "",
) -> LiveRun:
    """Change a run's status, end time or name; a run that ends is folded and announced."""
    with transaction.atomic():
        live = live_run_for_update(user=user, run_id=run_id)
        _check_active(live.lifecycle_stage, live.uuid)
        run = live.run
        was_running = live.is_running
        if status:
            live.status = status
            run.status = status
        if end_time is not None:
            live.end_time = end_time
        elif status in TERMINAL and live.end_time is None:
            live.end_time = _now_ms()
        if run_name:
            run.name = run_name[:255]
            run.tags = {**run.tags, "mlflow.runName": run.name}
        live.save(update_fields=["status", "end_time", "updated_at"])
        run.save(update_fields=["status", "name", "tags"])
        if was_running and live.status in TERMINAL:
            ExperimentImport.objects.filter(pk=run.experiment_import_id).update(
                finished_at=timezone.now()
            )
            from .tasks import finish_run

            send_task_safely(
                finish_run, kwargs={"live_run_id": live.pk}, owner=user, key=f"mlflow-end:{live.pk}"
            )
    return live


def run_set_lifecycle(*, user: AbstractBaseUser, run_id: str, stage: str) -> LiveRun:
    """Delete (soft, as MLflow does) or restore a run. A deleted run keeps its points and is
    listed nowhere in Cairn (projects.models.RunQuerySet.current); a restore brings it back."""
    with transaction.atomic():
        live = live_run_for_update(user=user, run_id=run_id)
        deleted = stage == LifecycleStage.DELETED
        if deleted and live.lifecycle_stage == LifecycleStage.DELETED:
            return live
        live.lifecycle_stage = stage
        live.deleted_time = _now_ms() if deleted else None
        live.save(update_fields=["lifecycle_stage", "deleted_time", "updated_at"])
        Run.objects.filter(pk=live.run_id).update(deleted_at=timezone.now() if deleted else None)
    imp = live.run.experiment_import
    transaction.on_commit(lambda: send_safely(runs_deleted_or_restored, experiment_import=imp))
    return live

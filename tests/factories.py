from __future__ import annotations

import datetime
import io
import itertools
from pathlib import Path

import factory
from django.contrib.auth import get_user_model

from milestones.models import CheckIn, Milestone, QuarterlyGoal
from portfolio.models import Profile
from projects.imports import Upload, import_create, import_process
from projects.models import ExperimentImport, Project, ProjectRevision
from projects.services import project_create, project_save

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Profile
        django_get_or_create = ("user",)

    user = factory.SubFactory(UserFactory, profile=None)
    slug = factory.LazyAttribute(lambda p: p.user.username.lower().replace("_", "-"))
    display_name = factory.LazyAttribute(lambda p: p.user.username.title())


class GoalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuarterlyGoal

    owner = factory.SubFactory(UserFactory)
    year = 2026
    quarter = 4
    title = factory.Sequence(lambda n: f"Goal {n}")
    position = factory.Sequence(lambda n: n)


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Milestone

    goal = factory.SubFactory(GoalFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_date = datetime.date(2026, 12, 15)
    position = factory.Sequence(lambda n: n)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    milestone = factory.SubFactory(MilestoneFactory)
    author = factory.LazyAttribute(lambda c: c.milestone.goal.owner)
    progress = 50
    confidence = 3
    note = "Moving along."


_project_numbers = itertools.count(1)


def create_project(
    *, owner, visibility: str = "private", change_note: str = "", **content
) -> Project:
    """A project with its first revision, made through the same service as the create page.

    Content not given gets plain defaults: a unique title, a summary, status "active" and a
    problem section.
    """
    n = next(_project_numbers)
    content = {
        "title": f"Project {n}",
        "summary": f"Summary of project {n}.",
        "status": "active",
        "problem": f"The problem project {n} solves.",
        **content,
    }
    return project_create(
        owner=owner, content=content, visibility=visibility, change_note=change_note
    )


def save_revision(
    project: Project, *, author=None, change_note: str = "", **changes
) -> ProjectRevision | None:
    """The next revision of project with the fields given changed (None when nothing did)."""
    project.refresh_from_db()
    return project_save(
        project=project,
        author=author or project.owner,
        base_number=project.current_revision.number,
        content=changes,
        change_note=change_note,
    )


SAMPLES = Path(__file__).resolve().parent.parent / "projects" / "samples"


def sample(name: str) -> Path:
    """A file of projects/samples, e.g. sample("long.csv")."""
    return SAMPLES / name


def import_results(
    project: Project, *files: Path | tuple[str, bytes], process: bool = True, **options
) -> ExperimentImport:
    """Files imported into project through the same service as the upload form, as one import.

    A file is a path or a (name, content) pair. The import is processed in this process unless
    process is False, when it stays queued; options go to import_create (requested_format,
    run_name, metric_name).
    """
    uploads = []
    for file in files:
        name, content = (file.name, file.read_bytes()) if isinstance(file, Path) else file
        uploads.append(Upload(name=name, stream=io.BytesIO(content), size=len(content)))
    imp, _ = import_create(project=project, user=project.owner, uploads=uploads, **options)
    if process:
        import_process(import_id=imp.pk, token="test-worker")
    imp.refresh_from_db()
    return imp


def long_csv(series: dict[tuple[str, str], list[float | str]]) -> bytes:
    """A long CSV (run,metric,step,value) with the values of each (run, metric) at steps 0, 1, …"""
    lines = ["run,metric,step,value"]
    for (run, metric), values in series.items():
        lines += [f"{run},{metric},{step},{value}" for step, value in enumerate(values)]
    return ("\n".join(lines) + "\n").encode()


def mlflow_runs_csv(runs: list[dict]) -> bytes:
    """An MLflow runs CSV: one row a run, each dict {"name", "params": {}, "metrics": {}}."""
    params = sorted({k for run in runs for k in run.get("params", {})})
    metrics = sorted({k for run in runs for k in run.get("metrics", {})})
    header = ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    header += [f"metrics.{m}" for m in metrics] + [f"params.{p}" for p in params]
    lines = [",".join([*header, "tags.mlflow.runName"])]
    for n, run in enumerate(runs):
        row = [f"{n:032x}", "1", "FINISHED", f"file:///mlruns/1/{n:032x}/artifacts"]
        row += ["2026-02-01 09:00:00+00:00", "2026-02-01 09:01:00+00:00"]
        row += [str(run.get("metrics", {}).get(m, "")) for m in metrics]
        row += [str(run.get("params", {}).get(p, "")) for p in params]
        lines.append(",".join([*row, run["name"]]))
    return ("\n".join(lines) + "\n").encode()

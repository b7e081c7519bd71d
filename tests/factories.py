from __future__ import annotations

import datetime
import itertools

import factory
from django.contrib.auth import get_user_model

from milestones.models import CheckIn, Milestone, QuarterlyGoal
from portfolio.models import Profile
from projects.models import Project, ProjectRevision
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

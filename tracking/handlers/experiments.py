"""Experiments: an MLflow experiment is one of the token owner's projects."""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpRequest

from projects.models import Project

from .. import search, selectors, services, shapes
from ..models import ExperimentTag
from ..protocol import MAX_EXPERIMENT_TAG_VAL_LENGTH, Body, check_name, check_value, pairs
from ..registry import handles

MAX_EXPERIMENTS_SEARCH = 50000


@handles("POST", "experiments/create")
def experiments_create(request: HttpRequest, body: Body) -> dict:
    tags = pairs(body, "tags", MAX_EXPERIMENT_TAG_VAL_LENGTH)
    project = services.experiment_create(
        user=request.user, name=body.string("name", required=True), tags=tags
    )
    return {"experiment_id": str(project.pk)}


@handles("GET", "experiments/get")
def experiments_get(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    return {"experiment": shapes.experiment_json(project)}


@handles("GET", "experiments/get-by-name")
def experiments_get_by_name(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_by_name(
        user=request.user, name=body.string("experiment_name", required=True)
    )
    return {"experiment": shapes.experiment_json(project)}


@handles("POST", "experiments/set-experiment-tag")
def experiments_set_tag(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    key = check_name(body.string("key", required=True), "key")
    value = check_value(body.string("value"), "value", MAX_EXPERIMENT_TAG_VAL_LENGTH)
    services.experiment_set_tags(project=project, tags=[(key, value)])
    return {}


@handles("POST", "experiments/delete-experiment-tag")
def experiments_delete_tag(request: HttpRequest, body: Body) -> dict:
    project = selectors.experiment_for(
        user=request.user, experiment_id=body.string("experiment_id", required=True)
    )
    ExperimentTag.objects.filter(project=project, key=body.string("key", required=True)).delete()
    return {}


@handles("POST", "experiments/search")
@handles("GET", "experiments/search")
def experiments_search(request: HttpRequest, body: Body) -> dict:
    numeric, strings = search.EXPERIMENT_NUMERIC, search.EXPERIMENT_STRINGS
    clauses = search.parse_filter(body.string("filter"), numeric=numeric, strings=strings)
    order = search.parse_order_by(body.strings("order_by"), numeric=numeric, strings=strings)
    view = body.string("view_type", default="ACTIVE_ONLY")
    limit = shapes.max_results(body, 1000, MAX_EXPERIMENTS_SEARCH)
    offset = shapes.page_offset(body.string("page_token"))
    projects = list(Project.objects.owned_by(request.user).order_by("-updated_at", "-id"))
    tags: dict[int, dict] = defaultdict(dict)
    for project_id, key, value in ExperimentTag.objects.filter(project__in=projects).values_list(
        "project_id", "key", "value"
    ):
        tags[project_id][key] = value
    rows = []
    if view in ("ACTIVE_ONLY", "ALL", "1", "3"):
        for project in projects:
            shape = shapes.experiment_json(project, tags[project.pk])
            row = {
                "attribute": {
                    "name": project.title,
                    "experiment_id": str(project.pk),
                    "creation_time": shape["creation_time"],
                    "last_update_time": shape["last_update_time"],
                },
                "tag": tags[project.pk],
                "metric": {},
                "param": {},
                "shape": shape,
            }
            if search.matches(row, clauses):
                rows.append(row)
    rows = search.sort_rows(rows, order)
    page = rows[offset : offset + limit]
    answer: dict = {"experiments": [r["shape"] for r in page]}
    if offset + limit < len(rows):
        answer["next_page_token"] = shapes.page_token(offset + limit)
    return answer

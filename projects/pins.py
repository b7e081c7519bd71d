"""The form that pins feedback to a run or a chart, on the result pages of a project.

Feedback lives on the people side; projects names none of it (tests/test_architecture.py). The
people side registers where such feedback is posted (projects.people.RESULTS_FEEDBACK), for the
engineer and their current mentors only: anyone else reading a public project gets no form.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.http import HttpRequest

from . import people
from .models import Project
from .wording import plural


def pin_form(
    request: HttpRequest,
    project: Project,
    *,
    run_id: int | None = None,
    run_name: str = "",
    metric: str = "",
    run_ids: Sequence[int] = (),
) -> dict | None:
    """What the pin form posts (a run, or a metric and its runs), or None: nothing to pin, or
    the reader may not discuss this engineer's work."""
    if run_id is None and not (metric and run_ids):
        return None
    url = people.link(
        people.RESULTS_FEEDBACK, owner=project.owner, project=project, viewer=request.user
    )
    if url is None:
        return None
    return {
        "url": url,
        "next": request.get_full_path(),
        "run": run_id,
        "metric": "" if run_id else metric,
        "runs": ",".join(map(str, run_ids)),
        "label": f"run “{run_name}”" if run_id else f"{metric} for {plural(len(run_ids), 'run')}",
    }

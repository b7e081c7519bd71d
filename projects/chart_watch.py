"""The chart slots of whole pages (the run page, the Charts page) and their watch for metrics
first logged while the page is open: while one of a page's runs logs live, one element of the
page polls for keys that those runs began to log after it was drawn (a new series row past its
cursor), and each answer appends a chart slot per new key, out of band, to the page's charts.
The public project page uses the same watch with its own slots (portfolio/public/views.py).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.urls import reverse

from . import appends, chart_cards, live
from .charts import ChartOptions
from .metrics import metric_direction
from .models import Project, Run
from .query_forms import ChartKeysForm

KEYS = "projects/_chart_keys.html"
# Where each kind of page keeps its charts (new ones are appended there), and how it wraps one.
KEY_TARGETS = {"run": "run-charts", "results": "chart-others", "public": "public-charts"}
SLOT_TEMPLATES = {"run": "projects/_chart_anchor.html", "results": "projects/_chart_slot.html"}


def _keys_badge(
    *,
    url: str,
    layout: str,
    runs: list[int],
    after: int,
    options: ChartOptions,
    room: int | None,
    polling: bool,
    every: int,
) -> dict:
    query = {"runs": ",".join(map(str, runs)), "x": options.x, "after": after, "layout": layout}
    if options.smooth:
        query["smooth"] = f"{options.smooth:g}"
    if options.log:
        query["log"] = "1"
    if room is not None:
        query["room"] = room
    return {
        "url": f"{url}?{urlencode(query)}",
        "polling": polling,
        # As often as the cards' badges: a new metric's first point is a point to show.
        "every": every,
        "into": KEY_TARGETS[layout],
    }


def keys_cursor() -> int:
    """The newest metric series row (live.new_keys reads past it): any row up to it existed
    when it was taken. One look at the primary key's index."""
    return live.series_cursor()


def keys_watch(
    *,
    project: Project,
    run_ids: list[int] | None,
    layout: str,
    url: str = "",
    options: ChartOptions | None = None,
    room: int | None = None,
    after: int | None = None,
) -> dict | None:
    """What a page of charts polls (at url) while one of its runs logs live, for metrics those
    runs begin to log after it was drawn; None when none of run_ids (current runs of project,
    as the page read them; None: all of them, the public page) runs. Take it, or its cursor
    (keys_cursor, passed as after), before the page reads its metrics: a key drawn by the page
    and sent again is dropped by static/js/charts.js, a key missed would stay missing.
    room: how many more charts the page may show (the public page shows a few); url: the
    owner's endpoint unless given."""
    if room == 0:
        return None
    ids = chart_cards.current_ids(project, None) if run_ids is None else run_ids
    state = live.chart_live(live.live_states(ids))
    if not state.polling:
        return None
    after = keys_cursor() if after is None else after
    public = layout == "public"
    return _keys_badge(
        url=url or reverse("projects:chart-keys", args=[project.ref]),
        layout=layout,
        runs=state.running if public else ids,
        after=after,
        options=options or ChartOptions(),
        room=room,
        polling=True,
        every=state.every,
    )


def live_keys(
    *,
    project: Project,
    params,
    url: str,
    slots: Callable[[list[str], list[int], ChartOptions, str], list],
    public: bool = False,
    slot_template: str = "",
) -> tuple[str, dict, int]:
    """The watch of keys_watch, polled by htmx, as (template, context, status): a chart slot for
    each metric the page's live runs began to log since its cursor, appended out of band to the
    page's charts (slots(keys, run ids, options, layout) makes them), and the watch again past
    them; once no run of the page runs (or the page has no room left), 286: htmx stops. The
    public page passes its own slot_template (a figure around the slot)."""
    form = ChartKeysForm(params)
    if not form.is_valid():
        return chart_cards.CARD_MESSAGE, {"message": form.message()}, 400
    layout = form.cleaned_data["layout"]
    if (layout == "public") != public:
        message = "This page's charts are not laid out that way."
        return chart_cards.CARD_MESSAGE, {"message": message}, 400
    options = form.options()
    ids = chart_cards.current_ids(project, form.cleaned_data["runs"])
    states = live.live_states(ids)
    state = live.chart_live(states)
    # The public page drew the project's charts, not only those of its live runs.
    known = chart_cards.current_ids(project, None) if public else ids
    after = form.cleaned_data["after"] or 0
    found = live.new_keys(live_ids=list(states), run_ids=known, after=after)
    room = form.cleaned_data["room"]
    keys = found.keys if room is None else found.keys[:room]
    room = None if room is None else room - len(keys)
    polling = state.polling and room != 0
    watch = _keys_badge(
        url=url,
        layout=layout,
        runs=ids,
        after=found.cursor,
        options=options,
        room=room,
        polling=polling,
        every=state.every,
    )
    context = {
        "watch": watch,
        "slots": slots(keys, ids, options, layout) if keys else [],
        "slot_template": slot_template or SLOT_TEMPLATES[layout],
        "small": layout == "results",
        "project": project,
    }
    return KEYS, context, 200 if polling else 286


def results_charts(*, project: Project, page, after: int) -> dict:
    """The Charts page's slots for a ChartsPage (selectors.charts): the main chart, the small
    ones, and the watch for metrics its live runs begin to log (after: keys_cursor)."""
    ids, options = page.run_ids, page.options
    main = chart_cards.chart_slots(project, [page.key], ids, options) if page.key and ids else []
    return {
        "main": main[0] if main else None,
        "others": chart_cards.chart_slots(project, page.others, ids, options, "small"),
        "keys_watch": keys_watch(
            project=project, run_ids=ids, layout="results", options=options, after=after
        ),
    }


def run_charts(*, project: Project, run: Run, options: ChartOptions) -> tuple[list[dict], dict]:
    """A run page's charts (a slot per metric, with the series' figures for its table) and its
    watch for metrics the run begins to log, taken before the series are read."""
    watch = keys_watch(project=project, run_ids=[run.pk], layout="run", options=options)
    # Only the figures of each series: the points load with each chart, when it scrolls in.
    series = list(run.series.only("id", "key", "count", "last", "min", "max", "run_id"))
    appends.with_pending_summary(run, series)
    slots = chart_cards.chart_slots(project, [s.key for s in series], [run.pk], options)
    charts = [
        {"series": s, "slot": slot, "direction": metric_direction(s.key, project)}
        for s, slot in zip(series, slots, strict=True)
    ]
    return charts, watch

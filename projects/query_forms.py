"""Query strings of the chart, compare and statistics pages, read by Django forms.

Every bad value becomes a sentence that says how to write it (never a 500); `message()` joins
them for a 400 answer, and the pages that still render show them beside the defaults.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django import forms

from .charts import MAX_SMOOTHING, ChartOptions, Window

MAX_RUNS = 50  # overlaid on one chart; more is a blur
WHICH = {"last": "final value", "best": "best value"}
CHARTS = {"scatter": "Scatter", "parcoords": "Parallel coordinates"}
DIRECTION_CHOICES = [
    ("", "The record's, else a guess from its name"),
    ("higher", "Higher is better"),
    ("lower", "Lower is better"),
]


class _RunIdsInput(forms.MultipleHiddenInput):
    """Every value of the field's name (runs=1,2&runs=3) and of the other names it also takes."""

    def __init__(self, also: tuple[str, ...] = ()):
        super().__init__()
        self.also = also

    def value_from_datadict(self, data, files, name):
        getlist = getattr(data, "getlist", None)
        values = []
        for key in (name, *self.also):
            values += getlist(key) if getlist else [v for v in [data.get(key)] if v is not None]
        return values


class RunIdsField(forms.Field):
    """Run ids given as runs=1,2,3 or runs=1&runs=2 (commas or spaces), in the order given,
    without repeats; `invalid` is the message for a part that is not a run id."""

    def __init__(self, *, invalid: str, most: int | None = None, also=(), **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(widget=_RunIdsInput(also), **kwargs)
        self.invalid, self.most = invalid, most

    def to_python(self, value) -> list[int]:
        ids: list[int] = []
        for chunk in value or []:
            for part in str(chunk).replace(" ", ",").split(","):
                if not part:
                    continue
                if not (part.isascii() and part.isdigit()) or len(part) > 12:
                    raise forms.ValidationError(self.invalid.format(part=part[:40]))
                ids.append(int(part))
        ids = list(dict.fromkeys(ids))
        if self.most is not None and len(ids) > self.most:
            raise forms.ValidationError(f"At most {self.most} runs fit on one chart.")
        return ids


class QueryForm(forms.Form):
    """A form over a query string whose errors are read as one sentence."""

    def message(self) -> str:
        """Every error, in the order of the fields."""
        return " ".join(str(m) for messages in self.errors.values() for m in messages)

    def value(self, name: str, default=None):
        """A field's cleaned value, or default when it was missing or wrong."""
        self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value


# --- Charts --------------------------------------------------------------------------------------

SMOOTH_INVALID = f"smooth must be a number from 0 to {MAX_SMOOTHING:g}."


class ChartOptionsForm(QueryForm):
    """x axis, smoothing and log scale."""

    x = forms.ChoiceField(
        choices=[("step", "Step"), ("time", "Wall time")],
        required=False,
        error_messages={"invalid_choice": "x must be “step” or “time”."},
    )
    smooth = forms.FloatField(
        required=False,
        min_value=0,
        max_value=MAX_SMOOTHING,
        error_messages={
            "invalid": SMOOTH_INVALID,
            "min_value": SMOOTH_INVALID,
            "max_value": SMOOTH_INVALID,
        },
    )
    log = forms.ChoiceField(
        choices=[("0", "0"), ("1", "1"), ("on", "on")],
        required=False,
        error_messages={"invalid_choice": "log must be 0 or 1."},
    )

    def options(self) -> ChartOptions:
        """The options asked for; each one missing or wrong is its default."""
        self.is_valid()
        return ChartOptions(
            x=self.value("x", "step"),
            smooth=self.value("smooth", 0.0),
            log=self.value("log", "0") in ("1", "on"),
        )


class ChartCardForm(ChartOptionsForm):
    """One chart card: a metric, the runs and the options."""

    metric = forms.CharField(error_messages={"required": "Say which metric to chart: metric=KEY."})
    runs = RunIdsField(
        invalid="runs must be run ids separated by commas, e.g. runs=1,2,3.", most=MAX_RUNS
    )
    size = forms.CharField(required=False)
    field_order = ["metric", "x", "smooth", "log", "runs"]

    @property
    def small(self) -> bool:
        return self.value("size") == "small"


class ChartLiveForm(ChartCardForm):
    """The badge of a live chart card (projects.live): its cursor and which card it is."""

    after = forms.IntegerField(
        required=False, min_value=0, error_messages={"invalid": "after must be a number."}
    )
    folded = forms.IntegerField(
        required=False, min_value=0, error_messages={"invalid": "folded must be a number."}
    )
    card = forms.RegexField(
        regex=r"^chart-[0-9a-f]{12}$",
        error_messages={
            "required": "card names the chart card to update (chart-…).",
            "invalid": "card names the chart card to update (chart-…).",
        },
    )
    reload = forms.BooleanField(required=False)


LAYOUTS = [("run", "a run page"), ("results", "the Charts page"), ("public", "a public page")]


class ChartKeysForm(ChartOptionsForm):
    """A page's watch for metrics that its live runs begin to log after it was drawn."""

    runs = RunIdsField(invalid="runs must be run ids separated by commas, e.g. runs=1,2,3.")
    after = forms.IntegerField(
        required=False, min_value=0, error_messages={"invalid": "after must be a number."}
    )
    layout = forms.ChoiceField(
        choices=LAYOUTS,
        error_messages={
            "required": "layout says where new charts go: run, results or public.",
            "invalid_choice": "layout says where new charts go: run, results or public.",
        },
    )
    room = forms.IntegerField(
        required=False, min_value=0, error_messages={"invalid": "room must be a number."}
    )


class ChartPointsForm(ChartCardForm):
    """The points behind a chart card: the whole range, or the window x0..x1 when zoomed."""

    x0 = forms.CharField(required=False)
    x1 = forms.CharField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["metric"].error_messages["required"] = "Say which metric: metric=KEY."

    def clean(self):
        cleaned = super().clean()
        x0, x1 = cleaned.get("x0"), cleaned.get("x1")
        if not x0 and not x1:
            cleaned["window"] = None
        elif not (x0 and x1):
            self.add_error(None, "Give both x0 and x1, or neither.")
        elif "x" in cleaned:
            time = cleaned["x"] == "time"
            try:
                low, high = _bound(x0, time), _bound(x1, time)
            except forms.ValidationError as exc:
                self.add_error(None, exc)
            else:
                cleaned["window"] = Window(min(low, high), max(low, high))
        return cleaned


def _bound(value: str, time: bool) -> float:
    if time:
        # plotly's date axis reports "2026-01-05 12:00:00.123", without a zone: the axis is UTC.
        try:
            moment = datetime.fromisoformat(value.replace(" ", "T"))
        except ValueError:
            raise forms.ValidationError("x0 and x1 must be dates on a wall-time chart.") from None
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise forms.ValidationError("x0 and x1 must be numbers (steps).")
    return number


class ResultsForm(ChartOptionsForm):
    """The Charts page: a metric, the chosen runs (absent: the best ones) and a filter."""

    metric = forms.CharField(required=False)
    runs = RunIdsField(
        invalid="runs must be run ids separated by commas, e.g. runs=1,2,3.", most=MAX_RUNS
    )
    q = forms.CharField(required=False)

    def chosen(self) -> list[int] | None:
        """The runs asked for; None when none were named or the list could not be read."""
        self.is_valid()
        if "runs" not in self.data or "runs" in self.errors:
            return None
        return self.cleaned_data["runs"]


# --- Compare and statistics ----------------------------------------------------------------------


class CompareForm(QueryForm):
    """Runs side by side: chosen by id (?runs=1,2 or ?run=1&run=2) or by a filter."""

    runs = RunIdsField(
        invalid="“{part}” is not a run number: runs are given as 1,2,3.", also=("run",)
    )
    where = forms.CharField(required=False)
    metric = forms.CharField(required=False, strip=False)
    which = forms.ChoiceField(
        choices=list(WHICH.items()),
        required=False,
        error_messages={"invalid_choice": "Pick the final or the best value."},
    )
    chart = forms.ChoiceField(
        choices=list(CHARTS.items()),
        required=False,
        error_messages={"invalid_choice": "Pick a parallel-coordinates or a scatter chart."},
    )
    x = forms.CharField(required=False, strip=False)

    def clean_where(self) -> list[tuple[str, str]]:
        """Filters such as "model=augment lr=0.1" as (key, value) pairs."""
        pairs = []
        for part in self.cleaned_data["where"][:500].replace(",", " ").split():
            key, sep, value = part.partition("=")
            if not sep or not key:
                raise forms.ValidationError(
                    f"“{part[:60]}” is not a filter: write param=value or tag=value, "
                    "for example model=augment."
                )
            pairs.append((key, value))
        return pairs

    def choices(self) -> dict:
        """The keyword arguments of compare.runs_comparison; call once the form is valid."""
        data = self.cleaned_data
        return {
            "run_ids": data["runs"],
            "where": data["where"],
            "metric": data["metric"],
            "which": data["which"] or "last",
            "chart": data["chart"],
            "x": data["x"],
        }


class StatsForm(QueryForm):
    """Groups of runs on one metric: by which param or tag, which value, which baseline group."""

    key = forms.CharField(required=False, strip=False)
    metric = forms.CharField(required=False, strip=False)
    which = forms.ChoiceField(
        choices=list(WHICH.items()),
        required=False,
        error_messages={"invalid_choice": "Pick the final or the best value."},
    )
    baseline = forms.CharField(required=False, strip=False)

    def choices(self) -> dict:
        """The keyword arguments of grouping.project_statistics; call once the form is valid."""
        return {**self.cleaned_data, "which": self.cleaned_data["which"] or "last"}


class DirectionForm(forms.Form):
    """The owner's direction for one metric of the project's runs."""

    metric = forms.CharField(max_length=255)
    direction = forms.ChoiceField(choices=DIRECTION_CHOICES, required=False)

    def __init__(self, *args, metrics: set[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.metrics = metrics

    def clean_metric(self) -> str:
        metric = self.cleaned_data["metric"]
        if self.metrics is not None and metric not in self.metrics:
            raise forms.ValidationError("No run has this metric.")
        return metric

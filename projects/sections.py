"""The sections of a project record: one list that forms, pages, diffs and exports all follow."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    group: str
    help: str
    prompt: str  # the guiding questions a new record starts with when made from the template


@dataclass(frozen=True)
class Group:
    key: str
    title: str


GROUPS = (
    Group("problem", "Problem"),
    Group("data", "Data"),
    Group("modelling", "Modelling"),
    Group("evaluation", "Evaluation and experiments"),
    Group("delivery", "Deployment and compute"),
)

SECTIONS = (
    Section(
        "problem", "Problem and business goal", "problem",
        "What decision or product does the model serve, and how is success measured there?",
        "- Who uses the prediction, and for what decision?\n"
        "- What happens today without the model?\n"
        "- Which business number should move, and by how much?\n",
    ),
    Section(
        "data_sources", "Data sources, version and lineage", "data",
        "Where the data comes from, which version or snapshot, and how it was produced.",
        "- Sources (tables, APIs, datasets) and their owners\n"
        "- Snapshot or version used (date, commit, DVC/lakeFS tag)\n"
        "- Known biases, gaps and licences\n",
    ),
    Section(
        "data_splits", "Data splits", "data",
        "How train, validation and test sets were made, and why that guards against leakage.",
        "- Split method (random, time-based, grouped by user…)\n"
        "- Sizes and class balance of each split\n"
        "- How leakage between splits is prevented\n",
    ),
    Section(
        "preprocessing", "Preprocessing and feature engineering", "data",
        "Cleaning, transformations and features, with the reasons behind them.",
        "- Cleaning and filtering steps\n"
        "- Features built, and which were dropped\n"
        "- Where the same code runs at training and serving time\n",
    ),
    Section(
        "model", "Model choice and hyperparameters", "modelling",
        "Baselines, the chosen model, why it won, and the hyperparameters that matter.",
        "- Baseline and why it is a fair one\n"
        "- Candidate models and the chosen one\n"
        "- Key hyperparameters and how they were tuned\n",
    ),
    Section(
        "evaluation", "Evaluation metrics and criteria", "evaluation",
        "Offline metrics, the thresholds that count as good enough, and slices checked.",
        "- Primary metric and why it matches the business goal\n"
        "- Secondary and guardrail metrics\n"
        "- Slices checked (segments, rare classes, fairness)\n",
    ),
    Section(
        "hypothesis", "Experiment design: hypothesis", "evaluation",
        "What you expect to happen, stated so that an experiment can prove it wrong.",
        "- We believe that … will improve … because …\n",
    ),
    Section(
        "stopping_rule", "Experiment design: stopping rule", "evaluation",
        "When the experiment ends, decided before it starts (runs, seeds, budget, time).",
        "- Number of runs and seeds per arm\n- Budget or time limit\n",
    ),
    Section(
        "results", "Results summary", "evaluation",
        "What happened, with numbers, and what you concluded.",
        "- Headline result against the baseline\n"
        "- What did not work\n"
        "- Next steps\n",
    ),
    Section(
        "deployment", "Deployment", "delivery",
        "Serving interface, health checks, monitoring for drift, latency and accuracy, rollback.",
        "- Serving interface (batch, REST, streaming) and SLOs\n"
        "- Health checks\n"
        "- Monitoring: data drift, latency, accuracy over time, alerts\n"
        "- Rollback plan\n",
    ),
    Section(
        "compute", "Compute used", "delivery",
        "Hardware, hours and cost for training and serving.",
        "- Training: hardware, hours, cost\n- Serving: instances, cost per 1,000 predictions\n",
    ),
)  # fmt: skip

SECTION_KEYS = tuple(s.key for s in SECTIONS)
SECTIONS_BY_KEY = {s.key: s for s in SECTIONS}

# Structured fields kept in every revision beside the markdown sections.
LINK_FIELDS = (
    ("repo_url", "Repository"),
    ("artifacts_url", "Artifacts"),
    ("demo_url", "Demo"),
)
META_FIELDS = ("title", "summary", "status", "tags")
SUCCESS_FIELDS = ("success_metric", "success_target", "success_direction")

# Everything a revision holds, in reading order; a change to any of these makes a new revision.
CONTENT_FIELDS = META_FIELDS + SECTION_KEYS + SUCCESS_FIELDS + tuple(f for f, _ in LINK_FIELDS)

FIELD_LABELS = {
    "title": "Title",
    "summary": "Summary",
    "status": "Status",
    "tags": "Skills and tags",
    "success_metric": "Success metric",
    "success_target": "Target value",
    "success_direction": "Direction",
    **{s.key: s.title for s in SECTIONS},
    **dict(LINK_FIELDS),
}


def sections_in_group(group: str) -> list[Section]:
    return [s for s in SECTIONS if s.group == group]

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from projects.diff import Segment, diff_revisions, diff_text
from projects.sections import CONTENT_FIELDS
from tests.factories import create_project, save_revision


def _old(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op in ("equal", "delete"))


def _new(segments: list[Segment]) -> str:
    return "".join(s.text for s in segments if s.op in ("equal", "insert"))


# --- diff_text ---------------------------------------------------------------------------------


def test_it_shows_a_changed_word_as_deleted_then_inserted():
    assert diff_text("the quick fox", "the slow fox") == [
        Segment("equal", "the "),
        Segment("delete", "quick "),
        Segment("insert", "slow "),
        Segment("equal", "fox"),
    ]


def test_it_shows_an_added_word_as_inserted():
    assert diff_text("the fox", "the brown fox") == [
        Segment("equal", "the "),
        Segment("insert", "brown "),
        Segment("equal", "fox"),
    ]


def test_it_shows_a_removed_word_as_deleted():
    assert diff_text("the brown fox", "the fox") == [
        Segment("equal", "the "),
        Segment("delete", "brown "),
        Segment("equal", "fox"),
    ]


def test_it_keeps_the_last_word_unchanged_when_words_are_added_after_it():
    assert diff_text("recall 0.41", "recall 0.41 and 0.63") == [
        Segment("equal", "recall 0.41"),
        Segment("insert", " and 0.63"),
    ]


def test_it_keeps_the_last_line_unchanged_when_a_line_is_added_after_it():
    assert diff_text("- one\n- two", "- one\n- two\n- three") == [
        Segment("equal", "- one\n- two"),
        Segment("insert", "\n- three"),
    ]


def test_words_added_to_the_end_of_a_line_stay_on_that_line():
    segments = diff_text(
        "Model: logistic regression\nSplits: by month",
        "Model: logistic regression with class weights\nSplits: by month",
    )

    assert segments == [
        Segment("equal", "Model: logistic regression"),
        Segment("insert", " with class weights"),
        Segment("equal", "\nSplits: by month"),
    ]


def test_a_word_replaced_at_the_end_of_a_line_is_replaced_in_place():
    assert diff_text("recall 0.41\nnext", "recall 0.63\nnext") == [
        Segment("equal", "recall "),
        Segment("delete", "0.41"),
        Segment("insert", "0.63"),
        Segment("equal", "\nnext"),
    ]


def test_a_word_removed_from_the_end_of_a_line_leaves_the_line_break_alone():
    assert diff_text("a tuned model\nnext", "a tuned\nnext") == [
        Segment("equal", "a tuned"),
        Segment("delete", " model"),
        Segment("equal", "\nnext"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("one two\nthree four\nfive", "one two extra\nthree more four\nfive six"),
        ("- a\n- b\r\n- c", "- a added\n- b\r\n- c and this"),
        ("  indented line\nplain", "  indented line grows\nplain"),
    ],
)
def test_no_change_inside_changed_lines_carries_a_line_break(old, new):
    segments = diff_text(old, new)

    changes = [s.text for s in segments if s.op != "equal"]
    assert changes and not any("\n" in text or "\r" in text for text in changes)
    assert _old(segments) == old
    assert _new(segments) == new


@pytest.mark.parametrize(
    ("old", "new"),
    [("a  b", "a b"), ("line one\nline two", "line one\nline two\n"), ("x y", "x\ny")],
)
def test_it_counts_no_word_changed_when_only_the_spacing_changed(old, new):
    segments = diff_text(old, new)

    assert not any(s.text.strip() for s in segments if s.op != "equal")
    assert _old(segments) == old
    assert _new(segments) == new


def test_it_never_splits_a_word():
    segments = diff_text("accuracy improved", "accurate improved")

    assert segments == [
        Segment("delete", "accuracy "),
        Segment("insert", "accurate "),
        Segment("equal", "improved"),
    ]


def test_it_shows_identical_text_as_one_equal_run():
    assert diff_text("same words here", "same words here") == [Segment("equal", "same words here")]


def test_it_shows_everything_inserted_when_the_old_text_is_empty():
    assert diff_text("", "new text") == [Segment("insert", "new text")]


def test_it_shows_everything_deleted_when_the_new_text_is_empty():
    assert diff_text("old text", "") == [Segment("delete", "old text")]


def test_it_returns_nothing_for_two_empty_texts():
    assert diff_text("", "") == []


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("the quick fox", "the slow fox"),
        ("", "brand new text"),
        ("all of this goes", ""),
        ("", ""),
        ("- one\n- two\n\n## Results\n", "- one\n- three\n\n## Results\nAUC 0.91\n"),
        ("line one\r\nline two", "line one\nline two\n"),
        ("  leading and trailing  ", "leading and trailing"),
        ("Macro-F1 ≥ 0.85 — café naïve 日本語 テスト", "Macro-F1 ≥ 0.86 — café 日本語 テスト 🚀"),
        ("tabs\tand\tspaces   here", "tabs and\tspaces here"),
        ("a b c d e f g", "g f e d c b a"),
        ("<script>alert(1)</script> & more", "<b>alert(2)</b> & more"),
    ],
    ids=[
        "changed-word",
        "empty-old",
        "empty-new",
        "both-empty",
        "multi-line",
        "line-endings",
        "outer-spaces",
        "unicode",
        "tabs",
        "reversed",
        "html",
    ],
)
def test_it_rebuilds_the_old_and_new_text_from_the_segments(old, new):
    segments = diff_text(old, new)

    assert _old(segments) == old
    assert _new(segments) == new
    assert all(s.op in ("equal", "insert", "delete") for s in segments)
    assert all(s.text for s in segments)


# --- diff_revisions ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_marks_only_the_changed_fields_of_two_revisions_as_changed(alice):
    project = create_project(
        owner=alice,
        title="Fraud",
        problem="Chargebacks cost money",
        tags=["xgboost"],
        success_target=0.5,
    )
    save_revision(project, problem="Fraud cost real money", tags=["sql", "xgboost"])
    old, new = project.revisions.get(number=1), project.revisions.get(number=2)

    fields = diff_revisions(old, new)

    assert [f.field for f in fields] == list(CONTENT_FIELDS)
    assert {f.field for f in fields if f.changed} == {"problem", "tags"}
    by_field = {f.field: f for f in fields}
    assert by_field["problem"].added == 2
    assert by_field["problem"].removed == 1
    assert by_field["tags"].segments == [Segment("insert", "sql, "), Segment("equal", "xgboost")]
    assert by_field["title"].segments == [Segment("equal", "Fraud")]
    assert by_field["success_target"].segments == [Segment("equal", "0.5")]
    assert by_field["results"].segments == []
    assert by_field["title"].label == "Title"
    assert by_field["problem"].label == "Problem and business goal"


@pytest.mark.django_db
def test_it_marks_nothing_changed_between_a_revision_and_itself(alice):
    project = create_project(owner=alice)

    fields = diff_revisions(project.current_revision, project.current_revision)

    assert not any(f.changed for f in fields)


# --- The diff page -----------------------------------------------------------------------------


@pytest.fixture
def project(alice):
    project = create_project(
        owner=alice, title="Fraud model", problem="Rules flag 4% of traffic.", results=""
    )
    save_revision(
        project,
        problem="The rule engine flags 4% of traffic.",
        results="Recall <script>alert(1)</script> 0.63",
    )
    project.refresh_from_db()
    return project


def _diff(client, project, **params):
    return client.get(reverse("projects:diff", args=[project.slug]), params)


def test_the_diff_page_marks_inserted_and_deleted_words(alice_client, project):
    response = _diff(alice_client, project, a=1, b=2)

    assert response.status_code == 200
    text = response.text
    assert "Revision 1 → 2" in text
    assert "<del>Rules flag </del><ins>The rule engine flags </ins>4% of traffic." in text
    assert "2 fields changed" in text
    assert 'id="diff-title"' not in text  # unchanged fields are only listed, not diffed


def test_the_diff_page_shows_words_added_to_a_line_inside_that_line(alice, alice_client):
    project = create_project(
        owner=alice, title="Churn", model="Model: logistic regression\nSeeds: 3"
    )
    save_revision(project, model="Model: logistic regression with class weights\nSeeds: 3")

    response = _diff(alice_client, project, a=1, b=2)

    assert "Model: logistic regression<ins> with class weights</ins>\nSeeds: 3" in response.text


def test_the_diff_page_shows_html_in_a_section_as_text(alice_client, project):
    response = _diff(alice_client, project, a=1, b=2)

    text = response.text
    assert "<ins>Recall &lt;script&gt;alert(1)&lt;/script&gt; 0.63</ins>" in text
    assert "<script>alert(1)" not in text


def test_the_diff_page_compares_the_same_way_whichever_revision_comes_first(alice_client, project):
    forward = _diff(alice_client, project, a=1, b=2)
    backward = _diff(alice_client, project, a=2, b=1)

    assert backward.status_code == 200
    assert "Revision 1 → 2" in backward.text
    body = re.compile(r'<section class="card diff-field".*</section>', re.S)
    assert body.search(backward.text).group() == body.search(forward.text).group()


def test_the_diff_page_compares_the_last_two_revisions_by_default(alice_client, project):
    response = _diff(alice_client, project)

    assert response.status_code == 200
    assert "Revision 1 → 2" in response.text
    assert "<ins>The rule engine flags </ins>" in response.text


def test_the_diff_page_says_when_two_revisions_are_the_same(alice_client, project):
    response = _diff(alice_client, project, a=2, b=2)

    assert response.status_code == 200
    assert "These two revisions say the same thing." in response.text


def test_the_diff_page_of_a_one_revision_project_compares_it_with_itself(alice, alice_client):
    single = create_project(owner=alice)

    response = _diff(alice_client, single)

    assert response.status_code == 200
    assert "These two revisions say the same thing." in response.text


@pytest.mark.parametrize(
    "params",
    [{"a": "one", "b": "2"}, {"a": "1", "b": "two"}, {"a": "1.5"}, {"a": ""}, {"b": "1e3"}],
)
def test_the_diff_page_answers_404_to_a_revision_that_is_not_a_number(
    alice_client, project, params
):
    assert _diff(alice_client, project, **params).status_code == 404


@pytest.mark.parametrize("params", [{"a": 1, "b": 3}, {"a": 0, "b": 2}, {"a": -1, "b": 2}])
def test_the_diff_page_answers_404_to_a_revision_that_does_not_exist(alice_client, project, params):
    assert _diff(alice_client, project, **params).status_code == 404

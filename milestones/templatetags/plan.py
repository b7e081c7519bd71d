from __future__ import annotations

import datetime
from html import escape as _escape

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime

from milestones.links import safe_link
from milestones.models import MilestoneStatus
from projects import wording
from projects.targets import comparison_sign

register = template.Library()


def _options(selected: str) -> SafeString:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        (
            (value, " selected" if value == selected else "", label)
            for value, label in MilestoneStatus.choices
        ),
    )


# The status <select> of every row on the plan page: built once per status, not per row.
_STATUS_OPTIONS = {value: _options(value) for value in MilestoneStatus.values}


@register.filter
def status_options(status: str) -> SafeString:
    """The <option> list of the status select with the milestone's status selected."""
    return _STATUS_OPTIONS.get(status) or _options(status)


@register.filter
def evidence_link(url: str) -> str:
    """An evidence link fit for href: http(s) or a path on this site, else "" (no link)."""
    return safe_link(url)


def _month_names() -> tuple[str, ...]:
    """Short month names ("Jan" … "Dec") in the active language, as the date filter writes them."""
    return ("", *(date_filter(datetime.date(2000, month, 1), "M") for month in range(1, 13)))


def _row_setup(context) -> dict:
    """What every row of one page render shares: the escaped CSRF token and the month names.

    Kept in the render context, so a page pays for them once, not 400 times."""
    cached = context.render_context.get(_row_setup)
    if cached is None:
        cached = {
            "csrf": _escape(str(context.get("csrf_token", ""))),
            "months": _month_names(),
        }
        context.render_context[_row_setup] = cached
    return cached


def _day(value: datetime.date, months: tuple[str, ...]) -> str:
    """ "Dec 6", as the date filter's "M j"."""
    return f"{months[value.month]} {value.day}"


def _meta(m, months: tuple[str, ...]) -> str:
    """The small line under a milestone's title: due, done, evidence, target, check-ins.

    Plain strings with every value escaped once: format_html's lazy-aware escaping of each
    argument was a third of a 400-milestone page's time."""
    parts = []
    if m.due_date:
        if m.overdue:
            parts.append(
                f'<span class="due overdue">Overdue · due {_day(m.due_date, months)}</span>'
            )
        else:
            parts.append(f'<span class="due">due {_day(m.due_date, months)}</span>')
    if m.done_at and m.status == "done":
        parts.append(f"<span>done {_day(template_localtime(m.done_at), months)}</span>")
    link = safe_link(m.evidence_url)
    if link:
        parts.append(
            f'<a href="{_escape(link)}" rel="nofollow noopener" target="_blank">evidence</a>'
        )
    if m.has_target:
        parts.append(
            '<span class="target-mark" title="Done by itself when a run reaches it">'
            f"target {_escape(m.target_metric)} {_escape(comparison_sign(m.target_comparison))} "
            f"{_escape(localize(m.target_threshold))}</span>"
        )
    if m.checkin_count:
        parts.append(
            f'<span title="Latest check-in">{_escape(localize(m.last_progress))}% · '
            f"{_escape(wording.plural(m.checkin_count, 'check-in'))}</span>"
        )
    return "\n          ".join(parts)


_NO_MILESTONES = (
    '<li class="empty small">No milestones yet. '
    "Break the goal into steps you can finish in a week or two.</li>"
)


@register.simple_tag(takes_context=True)
def milestone_rows(context, milestones, goal) -> SafeString:
    """Every milestone row of a goal card, or the empty line: one tag call per goal."""
    rows = [milestone_row(context, m, goal) for m in milestones]
    return mark_safe("\n    ".join(rows) if rows else _NO_MILESTONES)  # noqa: S308 - rows are safe


def milestone_row(context, m, goal) -> SafeString:
    """One milestone's row of the quarter page.

    Built in Python, not in the template: a quarter can hold 400 milestones, and the template
    engine's 40-odd nodes a row were most of the page's server time. Every value that is not
    markup of our own goes through `_escape` (html.escape, as Django's escape filter).
    """
    shared = _row_setup(context)
    title = _escape(m.title)
    if m.status == "done":
        tick = (
            '<input type="hidden" name="status" value="'
            + ("in_progress" if m.checkin_count else "planned")
            + '">\n          <button type="submit" class="tick is-done" '
            f'aria-label="Reopen “{title}”" title="Done · click to reopen">✓</button>'
        )
    else:
        tick = (
            '<input type="hidden" name="status" value="done">\n'
            '          <button type="submit" class="tick" '
            f'aria-label="Mark “{title}” done" title="Mark done"></button>'
        )
    return mark_safe(  # noqa: S308 - every value below is escaped or our own markup
        _ROW.format(
            status=_escape(m.status),
            overdue=" is-overdue" if m.overdue else "",
            pk=int(m.pk),
            goal=int(goal.pk),
            status_url=_escape(m.status_url),
            checkin_url=_escape(m.checkin_url),
            title_url=_escape(m.title_url),
            csrf=shared["csrf"],
            tick=tick,
            url=_escape(m.get_absolute_url()),
            title=title,
            meta=_meta(m, shared["months"]),
            options=status_options(m.status),
        )
    )


_ROW = """<li class="milestone status-{status}{overdue}" id="milestone-{pk}" data-testid="milestone">
      <form class="tick-form" method="post" action="{status_url}" hx-post="{status_url}" hx-target="#goal-{goal}" hx-swap="outerHTML">
        <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">
          {tick}
      </form>
      <div class="ms-body">
        <div class="ms-title" id="milestone-{pk}-title">
          <a href="{url}">{title}</a>
          <a class="inline-edit" href="{title_url}" hx-get="{title_url}" hx-target="#milestone-{pk}-title" hx-swap="innerHTML" title="Rename" aria-label="Rename “{title}”">✎</a>
        </div>
        <div class="ms-meta small">
          {meta}
        </div>
        <div class="drawer" id="milestone-{pk}-drawer"></div>
      </div>
      <div class="ms-actions">
        <form class="status-form" method="post" action="{status_url}" hx-post="{status_url}" hx-trigger="change" hx-target="#goal-{goal}" hx-swap="outerHTML">
          <input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">
          <select name="status" aria-label="Status of “{title}”">
            {options}
          </select>
          <button type="submit" class="button small ghost js-hide">Set</button>
        </form>
        <a class="button small ghost" href="{checkin_url}" hx-get="{checkin_url}" hx-target="#milestone-{pk}-drawer" hx-swap="innerHTML">Check in</a>
      </div>
    </li>"""  # noqa: E501 - the row's markup, as the template had it

from __future__ import annotations

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
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


def _meta(m) -> SafeString:
    """The small line under a milestone's title: due, done, evidence, target, check-ins."""
    parts = []
    if m.due_date:
        overdue = m.overdue
        parts.append(
            format_html(
                '<span class="due{}">{}due {}</span>',
                " overdue" if overdue else "",
                "Overdue · " if overdue else "",
                date_filter(m.due_date, "M j"),
            )
        )
    if m.done_at and m.status == "done":
        done = date_filter(template_localtime(m.done_at), "M j")
        parts.append(format_html("<span>done {}</span>", done))
    link = safe_link(m.evidence_url)
    if link:
        parts.append(
            format_html('<a href="{}" rel="nofollow noopener" target="_blank">evidence</a>', link)
        )
    if m.has_target:
        parts.append(
            format_html(
                '<span class="target-mark" title="Done by itself when a run reaches it">'
                "target {} {} {}</span>",
                m.target_metric,
                comparison_sign(m.target_comparison),
                localize(m.target_threshold),
            )
        )
    if m.checkin_count:
        parts.append(
            format_html(
                '<span title="Latest check-in">{}% · {}</span>',
                localize(m.last_progress),
                wording.plural(m.checkin_count, "check-in"),
            )
        )
    return mark_safe("\n          ".join(parts))  # noqa: S308 - each part built by format_html


@register.simple_tag(takes_context=True)
def milestone_row(context, m, goal) -> SafeString:
    """One milestone's row of the quarter page.

    Built in Python, not in the template: a quarter can hold 400 milestones, and the template
    engine's 40-odd nodes a row were most of the page's server time.
    """
    csrf = context.get("csrf_token", "")
    status_url, checkin_url, title_url = m.status_url, m.checkin_url, m.title_url
    title = m.title
    if m.status == "done":
        tick = format_html(
            '<input type="hidden" name="status" value="{}">\n'
            '          <button type="submit" class="tick is-done" aria-label="Reopen “{}”" '
            'title="Done · click to reopen">✓</button>',
            "in_progress" if m.checkin_count else "planned",
            title,
        )
    else:
        tick = format_html(
            '<input type="hidden" name="status" value="done">\n'
            '          <button type="submit" class="tick" aria-label="Mark “{}” done" '
            'title="Mark done"></button>',
            title,
        )
    return format_html(
        _ROW,
        status=m.status,
        overdue=" is-overdue" if m.overdue else "",
        pk=m.pk,
        goal=goal.pk,
        status_url=status_url,
        checkin_url=checkin_url,
        title_url=title_url,
        csrf=csrf,
        tick=tick,
        url=m.get_absolute_url(),
        title=title,
        meta=_meta(m),
        options=status_options(m.status),
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
